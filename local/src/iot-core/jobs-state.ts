import {
  type JobDocument,
  type JobExecution,
  type JobExecutionStatus,
  type JobExecutionSummary,
  type JobStatusDetails,
  type JobsErrorCode,
  TERMINAL_JOB_STATUSES,
} from '@coffee-iot/shared';

/** A job as the local jobs service keeps it (the parts of CreateJob we support). */
export interface StoredJob {
  jobId: string;
  document: JobDocument;
  targets: string[];
  /** Epoch seconds. */
  createdAt: number;
  stepTimeoutMinutes?: number;
  /** Epoch seconds of cancelJob; the job's executions still QUEUED were canceled then. */
  canceledAt?: number;
}

/** One thing's execution of a job; times in epoch seconds, as the device API reports them. */
export interface StoredExecution {
  jobId: string;
  thingName: string;
  status: JobExecutionStatus;
  statusDetails?: JobStatusDetails;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
  /** Creation order across all jobs: ties of queuedAt (same second) keep their order. */
  sequence: number;
  /** Epoch milliseconds after which an IN_PROGRESS execution times out; absent without a step timeout. */
  timeoutAt?: number;
}

export interface JobsFile {
  jobs: StoredJob[];
  executions: StoredExecution[];
  nextSequence: number;
}

export function isTerminal(status: JobExecutionStatus): boolean {
  return TERMINAL_JOB_STATUSES.includes(status);
}

/** Statuses a device may set with UpdateJobExecution; the others are the service's. */
const DEVICE_STATUSES: readonly JobExecutionStatus[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'];

/**
 * Why a device's update from `current` to `next` is not allowed, with the jobs API's error
 * code; undefined when it is. A terminal execution never changes again; QUEUED may start or end
 * (a device may refuse a job it has not started); IN_PROGRESS may report progress or end.
 */
export function transitionProblem(
  current: JobExecutionStatus,
  next: JobExecutionStatus,
): { code: JobsErrorCode; message: string } | undefined {
  if (isTerminal(current)) {
    return { code: 'TerminalStateReached', message: `Job execution is already in terminal state ${current}` };
  }
  if (!DEVICE_STATUSES.includes(next)) {
    return {
      code: 'InvalidStateTransition',
      message: `A device may not set status ${next}; allowed: ${DEVICE_STATUSES.join(', ')}`,
    };
  }
  return undefined;
}

/** The thing's next pending execution: IN_PROGRESS first, then QUEUED, oldest first in each. */
export function nextPending(
  executions: readonly StoredExecution[],
  thing: string,
): StoredExecution | undefined {
  return pendingOf(executions, thing).sort(pendingOrder)[0];
}

export function pendingOf(executions: readonly StoredExecution[], thing: string): StoredExecution[] {
  return executions.filter(
    (execution) =>
      execution.thingName === thing && (execution.status === 'IN_PROGRESS' || execution.status === 'QUEUED'),
  );
}

function pendingOrder(a: StoredExecution, b: StoredExecution): number {
  const rank = (execution: StoredExecution) => (execution.status === 'IN_PROGRESS' ? 0 : 1);
  return rank(a) - rank(b) || a.sequence - b.sequence;
}

/** The JobExecution of the device API; `nowMs` gives approximateSecondsBeforeTimedOut. */
export function toJobExecution(
  execution: StoredExecution,
  job: StoredJob | undefined,
  nowMs: number,
  includeJobDocument = true,
): JobExecution {
  return {
    jobId: execution.jobId,
    thingName: execution.thingName,
    ...(includeJobDocument && job !== undefined ? { jobDocument: job.document } : {}),
    status: execution.status,
    ...(execution.statusDetails === undefined ? {} : { statusDetails: execution.statusDetails }),
    queuedAt: execution.queuedAt,
    ...(execution.startedAt === undefined ? {} : { startedAt: execution.startedAt }),
    lastUpdatedAt: execution.lastUpdatedAt,
    versionNumber: execution.versionNumber,
    executionNumber: execution.executionNumber,
    ...(execution.status === 'IN_PROGRESS' && execution.timeoutAt !== undefined
      ? { approximateSecondsBeforeTimedOut: Math.max(0, Math.ceil((execution.timeoutAt - nowMs) / 1000)) }
      : {}),
  } as JobExecution;
}

export function toSummary(execution: StoredExecution): JobExecutionSummary {
  return {
    jobId: execution.jobId,
    queuedAt: execution.queuedAt,
    ...(execution.startedAt === undefined ? {} : { startedAt: execution.startedAt }),
    lastUpdatedAt: execution.lastUpdatedAt,
    versionNumber: execution.versionNumber,
    executionNumber: execution.executionNumber,
  };
}
