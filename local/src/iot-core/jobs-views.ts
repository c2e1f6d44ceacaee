import type { JobDocument, JobExecutionStatus } from '@coffee-iot/shared';
import { isTerminal, type StoredExecution, type StoredJob } from './jobs-state.js';

/** A job's overall state: CANCELED once canceled, COMPLETED when every execution has ended. */
export type JobStatus = 'IN_PROGRESS' | 'COMPLETED' | 'CANCELED';

/** One thing's execution as the HTTP API shows it (the stored one less its bookkeeping); epoch seconds. */
export type ExecutionView = Omit<StoredExecution, 'jobId' | 'sequence' | 'timeoutAt'>;

export interface JobSummary {
  jobId: string;
  /** The document's `operation` when it is a string (ours always name one), else null. */
  operation: string | null;
  status: JobStatus;
  /** Epoch seconds. */
  createdAt: number;
  targets: string[];
  /** How many executions are in each status (statuses with none are left out). */
  executionCounts: Partial<Record<JobExecutionStatus, number>>;
}

export interface JobDescription extends JobSummary {
  document: JobDocument;
  stepTimeoutMinutes?: number;
  canceledAt?: number;
  executions: ExecutionView[];
}

export function summarize(job: StoredJob, executions: readonly StoredExecution[]): JobSummary {
  const own = executions.filter((execution) => execution.jobId === job.jobId);
  const executionCounts: Partial<Record<JobExecutionStatus, number>> = {};
  for (const execution of own)
    executionCounts[execution.status] = (executionCounts[execution.status] ?? 0) + 1;
  const status: JobStatus =
    job.canceledAt !== undefined
      ? 'CANCELED'
      : own.every((execution) => isTerminal(execution.status))
        ? 'COMPLETED'
        : 'IN_PROGRESS';
  const operation = job.document.operation;
  return {
    jobId: job.jobId,
    operation: typeof operation === 'string' ? operation : null,
    status,
    createdAt: job.createdAt,
    targets: [...job.targets],
    executionCounts,
  };
}

export function describe(job: StoredJob, executions: readonly StoredExecution[]): JobDescription {
  return {
    ...summarize(job, executions),
    document: job.document,
    ...(job.stepTimeoutMinutes === undefined ? {} : { stepTimeoutMinutes: job.stepTimeoutMinutes }),
    ...(job.canceledAt === undefined ? {} : { canceledAt: job.canceledAt }),
    executions: executions
      .filter((execution) => execution.jobId === job.jobId)
      .map((execution) => ({
        thingName: execution.thingName,
        status: execution.status,
        ...(execution.statusDetails === undefined ? {} : { statusDetails: execution.statusDetails }),
        queuedAt: execution.queuedAt,
        ...(execution.startedAt === undefined ? {} : { startedAt: execution.startedAt }),
        lastUpdatedAt: execution.lastUpdatedAt,
        versionNumber: execution.versionNumber,
        executionNumber: execution.executionNumber,
      })),
  };
}
