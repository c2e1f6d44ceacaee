import {
  type JobDocument,
  type JobExecution,
  type JobExecutionStatus,
  type JobStatusDetails,
  TERMINAL_JOB_STATUSES,
} from '@coffee-iot/shared';
import type { Clock, TimerHandle, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ConnectionContext, ConnectionService } from '../remote/connection-service.js';
import type { JobHandler, JobOutcome } from './job-handler.js';
import { type DecidedStatus, JobJournal, type JournalEntry } from './job-journal.js';
import { JobsClient, JobsRequestRejectedError } from './jobs-client.js';
import { cleanStatusDetails, reasonOf } from './status-details.js';

/** Why a handler's signal was aborted: the step's time ran out. */
export class JobStepTimeoutError extends Error {
  override readonly name = 'JobStepTimeoutError';
}
/** The job ended on the service side (canceled, timed out, removed) while its handler ran. */
export class JobEndedElsewhereError extends Error {
  override readonly name = 'JobEndedElsewhereError';
}
/** The agent is shutting down: the job stays IN_PROGRESS and resumes after the restart. */
export class AgentStoppingError extends Error {
  override readonly name = 'AgentStoppingError';
}

export const STEP_TIMEOUT_REASON = 'step timeout';

export interface JobsServiceOptions {
  thingName: string;
  /** The allow-list: an operation without a handler here is REJECTED and nothing runs. */
  handlers: readonly JobHandler[];
  /** The journal lives in `{stateDir}/jobs/`. */
  stateDir: string;
  /** A handler returned RESTARTING: the agent should exit so systemd starts it again. */
  onRestartRequested: (jobId: string) => void;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** How long an answer from the jobs service may take; default 30 s. */
  answerTimeoutMs?: number;
  /** A job whose handler was started this often without an outcome fails instead; default 5. */
  maxRuns?: number;
  /** How long stop() waits for an aborted handler; default 2 s (the agent has 4.5 s in all). */
  stopGraceMs?: number;
}

export interface JobsStatus {
  current: { jobId: string; operation: string; startedAtMs: number } | null;
  last: {
    jobId: string;
    operation: string;
    status: DecidedStatus;
    reason: string | null;
    atMs: number;
  } | null;
  succeeded: number;
  failed: number;
  rejected: number;
}

interface ActiveJob {
  readonly jobId: string;
  readonly operation: string;
  readonly startedAtMs: number;
  readonly controller: AbortController;
  done: Promise<void>;
}

const TERMINAL = new Set<JobExecutionStatus>(TERMINAL_JOB_STATUSES);

/**
 * Runs allow-listed jobs from the IoT jobs MQTT API, one at a time. On every connection it asks
 * for the next job (start-next) and again whenever notify-next says one is pending. A durable
 * journal, written before a handler starts, at each checkpoint and at the outcome, makes an
 * interrupted job resume with its checkpoint and a decided one be reported again, never re-run.
 */
export class JobsService implements ConnectionService {
  readonly name = 'jobs';
  private readonly handlers: ReadonlyMap<string, JobHandler>;
  private readonly journal: JobJournal;
  private journalEntries: Promise<Map<string, JournalEntry>> | null = null;
  private client: JobsClient | null = null;
  /** The execution version the service last told us, per job: every update expects it. */
  private readonly versions = new Map<string, number>();
  private active: ActiveJob | null = null;
  private pulling = false;
  private pullAgain = false;
  private restarting = false;
  private stopped = false;
  private counts = { succeeded: 0, failed: 0, rejected: 0 };
  /** Updates go out one after another, so each expects the version the previous one produced. */
  private updates: Promise<unknown> = Promise.resolve();
  private last: JobsStatus['last'] = null;

  constructor(private readonly options: JobsServiceOptions) {
    this.handlers = new Map(options.handlers.map((handler) => [handler.operation, handler]));
    this.journal = new JobJournal(options.stateDir, options.logger);
  }

  async connected(connection: ConnectionContext): Promise<void> {
    if (this.stopped) return;
    const client = new JobsClient(this.options.thingName, connection, {
      timers: this.options.timers,
      logger: this.options.logger,
      answerTimeoutMs: this.options.answerTimeoutMs ?? 30_000,
      onNotifyNext: (message) => {
        this.options.logger.debug({ jobId: message.execution?.jobId ?? null }, 'jobs: notify-next');
        // Our job may have been canceled: that is the service's only signal of it.
        if (this.active) void this.checkActive();
        else if (message.execution) void this.pull();
      },
    });
    await client.subscribe();
    if (connection.signal.aborted) return;
    this.client = client;
    await this.entries();
    void this.pull();
  }

  disconnected(): void {
    this.client = null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const active = this.active;
    if (!active) return;
    active.controller.abort(new AgentStoppingError('the agent is stopping; the job resumes after it starts'));
    let timer: TimerHandle | undefined;
    await Promise.race([
      active.done,
      new Promise<void>((resolve) => {
        timer = this.options.timers.setTimeout(resolve, this.options.stopGraceMs ?? 2000);
      }),
    ]);
    if (timer) this.options.timers.clearTimeout(timer);
  }

  status(): JobsStatus {
    const { active } = this;
    return {
      current: active
        ? { jobId: active.jobId, operation: active.operation, startedAtMs: active.startedAtMs }
        : null,
      last: this.last,
      ...this.counts,
    };
  }

  private entries(): Promise<Map<string, JournalEntry>> {
    this.journalEntries ??= this.journal.load().then(
      (entries) => new Map(entries.map((entry) => [entry.jobId, entry])),
      (error: unknown) => {
        this.journalEntries = null; // tried again on the next connection
        throw error;
      },
    );
    return this.journalEntries;
  }

  /** Asks for the next pending job (IN_PROGRESS ones come first) and takes it. */
  private async pull(): Promise<void> {
    if (this.stopped || this.restarting || this.active) return;
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    const client = this.client;
    if (!client) return;
    this.pulling = true;
    try {
      const answer = await client.startNext();
      await this.forgetStale(answer.execution?.jobId);
      if (answer.execution && !this.stopped) await this.take(answer.execution);
    } catch (error) {
      // Cut off by shutdown or by the end of its connection, the request is simply asked again on
      // the next connection: worth a warning only when the connection is still up.
      const lost = this.stopped || this.client !== client;
      this.options.logger[lost ? 'debug' : 'warn'](
        { err: error },
        'jobs: could not get the next job; retried on the next notify or connection',
      );
    } finally {
      this.pulling = false;
    }
    if (this.pullAgain) {
      this.pullAgain = false;
      void this.pull();
    }
  }

  /**
   * Journal entries of jobs the service no longer offers: their outcome was acknowledged before
   * the entry could be removed, or they were canceled or timed out while the agent was away.
   */
  private async forgetStale(nextJobId: string | undefined): Promise<void> {
    const entries = await this.entries();
    for (const [jobId, entry] of entries) {
      if (jobId === nextJobId) continue;
      entries.delete(jobId);
      await this.journal.remove(jobId);
      this.options.logger.warn(
        { jobId, operation: entry.operation, state: entry.state },
        'jobs: a journalled job is no longer pending (ended meanwhile); forgotten, not resumed',
      );
    }
  }

  private async take(execution: JobExecution): Promise<void> {
    const { jobId } = execution;
    this.versions.set(jobId, execution.versionNumber);
    const entry = (await this.entries()).get(jobId);
    if (entry?.state === 'decided' && entry.outcome) {
      this.options.logger.info(
        { jobId, status: entry.outcome.status },
        'jobs: reporting an outcome decided before the restart (not run again)',
      );
      if (await this.report(jobId, entry.operation, entry.outcome)) this.pullAgain = true;
      return;
    }
    const operation =
      typeof execution.jobDocument?.operation === 'string' ? execution.jobDocument.operation : '';
    const controller = new AbortController();
    const active: ActiveJob = {
      jobId,
      operation,
      startedAtMs: this.options.clock.now(),
      controller,
      done: Promise.resolve(),
    };
    this.active = active;
    active.done = this.execute(execution, operation, entry, controller).then(
      () => {
        this.active = null;
        void this.pull();
      },
      (error: unknown) => {
        // Not pulled again at once (the same job would come straight back): the next notify or
        // connection retries it.
        this.active = null;
        this.options.logger.error({ err: error, jobId }, 'jobs: job could not be completed; retried later');
      },
    );
  }

  private async execute(
    execution: JobExecution,
    operation: string,
    entry: JournalEntry | undefined,
    controller: AbortController,
  ): Promise<void> {
    const { jobId } = execution;
    const document: JobDocument = execution.jobDocument ?? {};
    const handler = this.handlers.get(operation);
    if (!handler) {
      const allowed = [...this.handlers.keys()].join(', ');
      const reason = operation
        ? `operation "${operation}" is not allowed on this device (allowed: ${allowed})`
        : `the job document names no operation (allowed: ${allowed})`;
      await this.decide(jobId, operation, { status: 'REJECTED', details: { reason } });
      return;
    }
    const problem = handler.validate(document);
    if (problem !== null) {
      await this.decide(jobId, operation, { status: 'REJECTED', details: { reason: problem } });
      return;
    }
    const runs = (entry?.runs ?? 0) + 1;
    const maxRuns = this.options.maxRuns ?? 5;
    if (runs > maxRuns) {
      const reason = `interrupted ${runs - 1} times without finishing; not started again`;
      await this.decide(jobId, operation, { status: 'FAILED', details: { reason } });
      return;
    }
    let journalled: JournalEntry = {
      jobId,
      operation,
      state: 'running',
      runs,
      startedAtMs: entry?.startedAtMs ?? this.options.clock.now(),
      ...(entry?.checkpoint ? { checkpoint: entry.checkpoint } : {}),
    };
    // On disk before the handler starts: a crash from here on is seen as an interruption.
    try {
      await this.journal.write(journalled);
    } catch (error) {
      // Without the journal an interrupted job could run twice: refuse to start it.
      await this.decide(jobId, operation, { status: 'FAILED', details: { reason: reasonOf(error) } });
      return;
    }
    (await this.entries()).set(jobId, journalled);
    this.options.logger.info(
      { jobId, operation, run: runs, resumed: entry?.checkpoint !== undefined },
      entry ? 'jobs: resuming an interrupted job' : 'jobs: job started',
    );

    const stopTimeout = this.armStepTimeout(execution, controller);
    const aborted = new Promise<'aborted'>((resolve) => {
      controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const running = Promise.resolve()
      .then(() =>
        handler.run({
          jobId,
          document,
          signal: controller.signal,
          checkpoint: entry?.checkpoint,
          saveCheckpoint: async (state) => {
            journalled = { ...journalled, checkpoint: { ...state } };
            await this.journal.write(journalled);
            (await this.entries()).set(jobId, journalled);
          },
          progress: (details) => this.progress(jobId, details, controller),
        }),
      )
      .then(
        (outcome): JobOutcome | Error => outcome,
        (error: unknown): JobOutcome | Error => (error instanceof Error ? error : new Error(String(error))),
      );
    const result = await Promise.race([running, aborted]);
    stopTimeout();
    if (controller.signal.aborted) {
      const why: unknown = controller.signal.reason;
      if (why instanceof AgentStoppingError) {
        await running; // stop() bounds this wait; the journal keeps the job for the next start
        this.options.logger.info(
          { jobId, operation },
          'jobs: job interrupted by shutdown; resumes after the restart',
        );
        return;
      }
      if (why instanceof JobEndedElsewhereError) {
        await running;
        (await this.entries()).delete(jobId);
        await this.journal.remove(jobId);
        this.options.logger.warn(
          { jobId, operation, reason: why.message },
          'jobs: job ended by the service; handler stopped',
        );
        return;
      }
      // The step timed out: decided now, whatever the handler does with the abort.
      await this.decide(jobId, operation, { status: 'FAILED', details: { reason: STEP_TIMEOUT_REASON } });
      await running;
      return;
    }
    const outcome =
      result instanceof Error
        ? ({ status: 'FAILED', details: { reason: reasonOf(result) } } as const)
        : (result as JobOutcome);
    if (outcome.status === 'RESTARTING') {
      await this.progress(jobId, outcome.details, controller);
      this.restarting = true;
      this.options.logger.info(
        { jobId, operation },
        'jobs: the job restarts the agent; it continues after the restart',
      );
      this.options.onRestartRequested(jobId);
      return;
    }
    await this.decide(jobId, operation, outcome);
  }

  /** Aborts the handler when the step's deadline passes; returns the disarm function. */
  private armStepTimeout(execution: JobExecution, controller: AbortController): () => void {
    const deadlineMs = stepDeadlineMs(execution, this.options.clock.now());
    if (deadlineMs === null) return () => {};
    const handle = this.options.timers.setTimeout(
      () => controller.abort(new JobStepTimeoutError(`job ${execution.jobId}: ${STEP_TIMEOUT_REASON}`)),
      Math.max(0, deadlineMs - this.options.clock.now()),
    );
    return () => this.options.timers.clearTimeout(handle);
  }

  /** Journals the outcome, then reports it; a failure to report leaves it for the next connection. */
  private async decide(
    jobId: string,
    operation: string,
    outcome: { status: DecidedStatus; details: JobStatusDetails },
  ): Promise<void> {
    const details = cleanStatusDetails(outcome.details);
    const entries = await this.entries();
    const previous = entries.get(jobId);
    const decided: JournalEntry = {
      jobId,
      operation,
      state: 'decided',
      runs: previous?.runs ?? 0,
      startedAtMs: previous?.startedAtMs ?? this.options.clock.now(),
      outcome: { status: outcome.status, details },
    };
    try {
      await this.journal.write(decided);
      entries.set(jobId, decided);
    } catch (error) {
      // Reported anyway: if the report is lost too, the job runs again after a restart.
      this.options.logger.error({ err: error, jobId }, 'jobs: outcome not journalled');
    }
    const reason = details.reason ?? null;
    this.last = { jobId, operation, status: outcome.status, reason, atMs: this.options.clock.now() };
    if (outcome.status === 'SUCCEEDED') {
      this.counts.succeeded += 1;
      this.options.logger.info({ jobId, operation, details }, 'jobs: job succeeded');
    } else {
      this.counts[outcome.status === 'FAILED' ? 'failed' : 'rejected'] += 1;
      this.options.logger.warn(
        { jobId, operation, status: outcome.status, reason },
        `jobs: job ${outcome.status}`,
      );
    }
    await this.report(jobId, operation, { status: outcome.status, details });
  }

  private inTurn<T>(send: () => Promise<T>): Promise<T> {
    const turn = this.updates.then(send, send);
    this.updates = turn.catch(() => undefined);
    return turn;
  }

  /** Sends a decided outcome; true once the service has it (or the job ended there anyway). */
  private report(
    jobId: string,
    operation: string,
    outcome: { status: DecidedStatus; details: JobStatusDetails },
  ): Promise<boolean> {
    return this.inTurn(() => this.sendOutcome(jobId, operation, outcome));
  }

  private async sendOutcome(
    jobId: string,
    operation: string,
    outcome: { status: DecidedStatus; details: JobStatusDetails },
  ): Promise<boolean> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const client = this.client;
      if (!client) break;
      try {
        const answer = await client.update(jobId, {
          status: outcome.status,
          statusDetails: outcome.details,
          ...this.expected(jobId),
          includeJobExecutionState: true,
        });
        this.versions.delete(jobId);
        await this.forget(jobId);
        this.options.logger.debug(
          { jobId, status: answer.executionState?.status },
          'jobs: outcome acknowledged',
        );
        return true;
      } catch (error) {
        const handled = await this.onRejected(jobId, error, `${outcome.status} report`);
        if (handled === 'ended') {
          await this.forget(jobId);
          return true;
        }
        if (handled !== 'retry') break;
      }
    }
    this.options.logger.warn(
      { jobId, operation, status: outcome.status },
      'jobs: outcome not acknowledged yet; reported again on the next connection',
    );
    return false;
  }

  /** IN_PROGRESS with details; best effort, but a job ended meanwhile stops its handler. */
  private progress(jobId: string, details: JobStatusDetails, controller: AbortController): Promise<void> {
    return this.inTurn(() => this.sendProgress(jobId, details, controller));
  }

  private async sendProgress(
    jobId: string,
    details: JobStatusDetails,
    controller: AbortController,
  ): Promise<void> {
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const client = this.client;
      if (!client) return;
      try {
        const answer = await client.update(jobId, {
          status: 'IN_PROGRESS',
          statusDetails: cleanStatusDetails(details),
          ...this.expected(jobId),
          includeJobExecutionState: true,
        });
        if (answer.executionState) this.versions.set(jobId, answer.executionState.versionNumber);
        return;
      } catch (error) {
        const handled = await this.onRejected(jobId, error, 'progress update');
        if (handled === 'ended') {
          controller.abort(new JobEndedElsewhereError(`job ${jobId} ended on the jobs service`));
          return;
        }
        if (handled !== 'retry') return;
      }
    }
  }

  /**
   * What a failed update means. VersionMismatch: the service's version is adopted and the update
   * retried. TerminalStateReached (canceled or timed out meanwhile) and ResourceNotFound: the job
   * is over. Anything else is logged and left for later.
   */
  private async onRejected(
    jobId: string,
    error: unknown,
    what: string,
  ): Promise<'retry' | 'ended' | 'later'> {
    const { logger } = this.options;
    if (!(error instanceof JobsRequestRejectedError)) {
      logger.warn({ err: error, jobId }, `jobs: ${what} unanswered`);
      return 'later';
    }
    const { code, executionState } = error.response;
    if (code === 'TerminalStateReached' || code === 'ResourceNotFound') {
      logger.warn(
        { jobId, code, status: executionState?.status ?? null },
        `jobs: ${what} refused: the job already ended on the service (canceled, timed out or removed)`,
      );
      return 'ended';
    }
    if (code === 'VersionMismatch') {
      let state = executionState;
      if (!state) {
        const described = await this.client?.describe(jobId).catch(() => undefined);
        const execution = described?.execution;
        state = execution ? { status: execution.status, versionNumber: execution.versionNumber } : undefined;
      }
      logger.warn(
        { jobId, expected: this.versions.get(jobId) ?? null, current: state?.versionNumber ?? null },
        `jobs: ${what} hit VersionMismatch; retrying with the service's version`,
      );
      if (!state) return 'later';
      this.versions.set(jobId, state.versionNumber);
      return TERMINAL.has(state.status) ? 'ended' : 'retry';
    }
    logger.warn({ jobId, code, message: error.response.message }, `jobs: ${what} rejected`);
    return 'later';
  }

  /** A notify-next while a job runs: is ours still pending, or was it canceled? */
  private async checkActive(): Promise<void> {
    const active = this.active;
    const client = this.client;
    if (!active || !client) return;
    try {
      const answer = await client.describe(active.jobId);
      const execution = answer.execution;
      if (execution && !TERMINAL.has(execution.status)) {
        this.versions.set(active.jobId, execution.versionNumber);
        return;
      }
      active.controller.abort(
        new JobEndedElsewhereError(
          `job ${active.jobId} is ${execution?.status ?? 'gone'} on the jobs service`,
        ),
      );
    } catch (error) {
      if (error instanceof JobsRequestRejectedError && error.response.code === 'ResourceNotFound') {
        active.controller.abort(new JobEndedElsewhereError(`job ${active.jobId} no longer exists`));
        return;
      }
      this.options.logger.debug({ err: error, jobId: active.jobId }, 'jobs: could not check the running job');
    }
  }

  private expected(jobId: string): { expectedVersion?: number } {
    const version = this.versions.get(jobId);
    return version === undefined ? {} : { expectedVersion: version };
  }

  private async forget(jobId: string): Promise<void> {
    (await this.entries()).delete(jobId);
    await this.journal.remove(jobId);
  }
}

/** Below this, approximateSecondsBeforeTimedOut is a duration (AWS caps steps at 7 days). */
const EPOCH_SECONDS_FLOOR = 1_000_000_000;

/**
 * When the step times out: the service's own deadline, else the document's stepTimeoutInMinutes.
 * approximateSecondsBeforeTimedOut is the seconds that remain (AWS); a value that can only be
 * epoch seconds, from a service that sends the deadline itself, is taken as that deadline.
 */
export function stepDeadlineMs(execution: JobExecution, nowMs: number): number | null {
  const seconds = execution.approximateSecondsBeforeTimedOut;
  if (typeof seconds === 'number' && seconds >= 0) {
    return seconds >= EPOCH_SECONDS_FLOOR ? seconds * 1000 : nowMs + seconds * 1000;
  }
  const minutes = execution.jobDocument?.stepTimeoutInMinutes;
  if (typeof minutes === 'number' && minutes > 0) return nowMs + minutes * 60_000;
  return null;
}
