import {
  JOBS_TOPIC_PATTERN,
  type JobDocument,
  type JobExecution,
  type JobExecutionStatus,
  type JobStatusDetails,
  type JobsErrorCode,
  TERMINAL_JOB_STATUSES,
  type UpdateJobExecutionRequest,
} from '@coffee-iot/shared';

export interface FakeAnswer {
  topic: string;
  payload: Record<string, unknown>;
}

/** One update request as the service received it, and whether it was accepted. */
export interface ReceivedUpdate {
  jobId: string;
  request: UpdateJobExecutionRequest;
  answer: 'accepted' | JobsErrorCode;
}

/**
 * The jobs side of IoT Core for tests, transport-agnostic: `handle` takes a request the device
 * published and returns the answers to deliver. start-next hands out IN_PROGRESS executions first,
 * then the oldest QUEUED one; updates check expectedVersion (VersionMismatch) and refuse terminal
 * executions (TerminalStateReached), as AWS documents.
 */
export class FakeJobsService {
  readonly executions = new Map<string, JobExecution>();
  readonly updates: ReceivedUpdate[] = [];
  /** Requests it ignores (to test unanswered requests). */
  silent = false;
  private seconds = 1_800_000_000;

  constructor(readonly thingName: string) {}

  /** Queues a job; returns the notify-next to deliver when it becomes the next one. */
  queue(jobId: string, document: JobDocument, extra: Partial<JobExecution> = {}): FakeAnswer[] {
    this.executions.set(jobId, {
      jobId,
      thingName: this.thingName,
      jobDocument: document,
      status: 'QUEUED',
      queuedAt: this.tick(),
      lastUpdatedAt: this.seconds,
      versionNumber: 1,
      executionNumber: 1,
      ...extra,
    });
    return [this.notifyNext()];
  }

  /** The operator cancels (or the step times out): terminal, and notify-next tells the device. */
  end(jobId: string, status: JobExecutionStatus = 'CANCELED'): FakeAnswer[] {
    const execution = this.execution(jobId);
    execution.status = status;
    execution.versionNumber += 1;
    execution.lastUpdatedAt = this.tick();
    return [this.notifyNext()];
  }

  /** Something else updated the execution (its version moves on). */
  bumpVersion(jobId: string): void {
    this.execution(jobId).versionNumber += 1;
  }

  execution(jobId: string): JobExecution {
    const execution = this.executions.get(jobId);
    if (!execution) throw new Error(`no job ${jobId}`);
    return execution;
  }

  /** Terminal updates accepted for a job (more than one would mean it completed twice). */
  terminalUpdates(jobId: string): ReceivedUpdate[] {
    return this.updates.filter(
      (u) => u.jobId === jobId && u.answer === 'accepted' && u.request.status !== 'IN_PROGRESS',
    );
  }

  handle(topic: string, payloadText: string): FakeAnswer[] {
    const match = JOBS_TOPIC_PATTERN.exec(topic);
    if (!match || match[5] !== undefined || this.silent) return [];
    const body = JSON.parse(payloadText) as Record<string, unknown>;
    const token = body.clientToken === undefined ? {} : { clientToken: body.clientToken };
    const base = `$aws/things/${this.thingName}/jobs`;
    if (match[2] === 'start-next') {
      const next = this.next();
      if (next && next.status === 'QUEUED') {
        next.status = 'IN_PROGRESS';
        next.startedAt = this.tick();
        next.versionNumber += 1;
      }
      return [
        {
          topic: `${base}/start-next/accepted`,
          payload: { ...(next ? { execution: { ...next } } : {}), timestamp: this.tick(), ...token },
        },
      ];
    }
    const jobId = match[3] as string;
    const execution = this.executions.get(jobId);
    if (match[4] === 'get') {
      if (!execution) return [this.rejected(`${base}/${jobId}/get`, 'ResourceNotFound', token)];
      return [
        {
          topic: `${base}/${jobId}/get/accepted`,
          payload: { execution: { ...execution }, timestamp: this.tick(), ...token },
        },
      ];
    }
    const request = body as unknown as UpdateJobExecutionRequest;
    const stem = `${base}/${jobId}/update`;
    const refuse = (code: JobsErrorCode): FakeAnswer[] => {
      this.updates.push({ jobId, request, answer: code });
      return [this.rejected(stem, code, token, execution)];
    };
    if (!execution) return refuse('ResourceNotFound');
    if (TERMINAL_JOB_STATUSES.includes(execution.status)) return refuse('TerminalStateReached');
    if (request.expectedVersion !== undefined && request.expectedVersion !== execution.versionNumber) {
      return refuse('VersionMismatch');
    }
    execution.status = request.status;
    if (request.statusDetails) execution.statusDetails = { ...request.statusDetails } as JobStatusDetails;
    execution.versionNumber += 1;
    execution.lastUpdatedAt = this.tick();
    this.updates.push({ jobId, request, answer: 'accepted' });
    const answers: FakeAnswer[] = [
      {
        topic: `${stem}/accepted`,
        payload: {
          ...(request.includeJobExecutionState
            ? {
                executionState: {
                  status: execution.status,
                  statusDetails: execution.statusDetails ?? {},
                  versionNumber: execution.versionNumber,
                },
              }
            : {}),
          timestamp: this.tick(),
          ...token,
        },
      },
    ];
    if (TERMINAL_JOB_STATUSES.includes(execution.status)) answers.push(this.notifyNext());
    return answers;
  }

  private next(): JobExecution | undefined {
    const all = [...this.executions.values()];
    return (
      all.find((e) => e.status === 'IN_PROGRESS') ??
      all.filter((e) => e.status === 'QUEUED').sort((a, b) => a.queuedAt - b.queuedAt)[0]
    );
  }

  private notifyNext(): FakeAnswer {
    const next = this.next();
    return {
      topic: `$aws/things/${this.thingName}/jobs/notify-next`,
      payload: { ...(next ? { execution: { ...next } } : {}), timestamp: this.tick() },
    };
  }

  private rejected(
    stem: string,
    code: JobsErrorCode,
    token: { clientToken?: unknown },
    execution?: JobExecution,
  ): FakeAnswer {
    return {
      topic: `${stem}/rejected`,
      payload: {
        code,
        message: code,
        timestamp: this.tick(),
        ...token,
        ...(execution && code === 'VersionMismatch'
          ? { executionState: { status: execution.status, versionNumber: execution.versionNumber } }
          : {}),
      },
    };
  }

  private tick(): number {
    this.seconds += 1;
    return this.seconds;
  }
}
