import { randomUUID } from 'node:crypto';
import { type Clock, type Logger, systemClock, systemTimers, type Timers } from '@coffee-iot/device';
import {
  type GetPendingJobExecutionsAccepted,
  JOB_ID_PATTERN,
  JOBS_TOPIC_PATTERN,
  type JobDocument,
  type JobsErrorCode,
  type JobsErrorResponse,
  jobsTopics,
  type NextJobExecutionChanged,
  type StartNextAccepted,
  THING_NAME_PATTERN,
  type UpdateJobExecutionAccepted,
  type UpdateJobExecutionRequest,
} from '@coffee-iot/shared';
import type { InProcessMqtt } from './in-process-mqtt.js';
import { JobExistsError, JobInputError, UnknownJobError } from './jobs-errors.js';
import { MAX_STEP_TIMEOUT_MINUTES, parseDescribe, parseStartNext, parseUpdate } from './jobs-request.js';
import {
  isTerminal,
  type JobsFile,
  nextPending,
  pendingOf,
  type StoredExecution,
  type StoredJob,
  toJobExecution,
  toSummary,
  transitionProblem,
} from './jobs-state.js';
import { JobsStore } from './jobs-store.js';
import { describe, type JobDescription, type JobSummary, summarize } from './jobs-views.js';
import { KeyedQueue } from './keyed-queue.js';
import { isPlainObject } from './shadow-state.js';
import { StepTimeouts } from './step-timeouts.js';

export interface JobsServiceOptions {
  mqtt: InProcessMqtt;
  /** The jobs file (the stack uses `{dataDir}/iot-core/jobs.json`). */
  path: string;
  logger: Logger;
  clock?: Clock;
  /** Drive step timeouts; tests pass hand-moved timers. */
  timers?: Timers;
}

export interface CreateJobInput {
  /** Made up from the operation and a random suffix when left out. */
  jobId?: string;
  document: JobDocument;
  /** Thing names; one execution each, QUEUED. */
  targets: readonly string[];
  /** An IN_PROGRESS execution older than this becomes TIMED_OUT (1 to 10080). */
  stepTimeoutMinutes?: number;
}

export interface JobsServiceCounters {
  requests: number;
  accepted: number;
  rejected: number;
  timedOut: number;
  notifications: number;
  /** Requests that failed before any answer could be published (logged with the error). */
  unanswered: number;
}

/** AWS: job documents of at most 32 KB. */
const MAX_DOCUMENT_BYTES = 32 * 1024;
const REQUEST_FILTERS = ['start-next', 'get', '+/update', '+/get'].map(
  (path) => `$aws/things/+/jobs/${path}`,
);
/** Every change goes through one queue: the jobs file is one document. */
const FILE = 'jobs';

type Answer = { topic: string; body: unknown };

/**
 * The jobs device MQTT API on the embedded broker (notify-next, start-next, update with
 * expectedVersion, get pending, describe a job or `$next`) and the control side the dashboard
 * and CLI use (createJob, describeJob, listJobs, cancelJob). Each change is written to disk
 * before it is answered or announced; IN_PROGRESS executions past their step timeout become
 * TIMED_OUT, after a restart too.
 */
export class JobsService {
  readonly counters: JobsServiceCounters = {
    requests: 0,
    accepted: 0,
    rejected: 0,
    timedOut: 0,
    unanswered: 0,
    notifications: 0,
  };
  private file: JobsFile = { jobs: [], executions: [], nextSequence: 1 };
  private readonly store: JobsStore;
  private readonly queue = new KeyedQueue();
  private readonly clock: Clock;
  private readonly timeouts: StepTimeouts;
  private readonly log: Logger;
  /** The jobId last announced on notify-next per thing (null: nothing pending). */
  private readonly announced = new Map<string, string | null>();
  private unsubscribes: (() => Promise<void>)[] = [];

  constructor(private readonly options: JobsServiceOptions) {
    this.store = new JobsStore(options.path);
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'jobs-service' });
    this.timeouts = new StepTimeouts(options.timers ?? systemTimers, this.clock, (key) =>
      this.onStepTimeout(key),
    );
  }

  async start(): Promise<void> {
    this.file = await this.store.load();
    // What a device would have heard before the restart; only changes from here are announced.
    for (const thing of new Set(this.file.executions.map((execution) => execution.thingName))) {
      this.announced.set(thing, nextPending(this.file.executions, thing)?.jobId ?? null);
    }
    this.syncTimeouts();
    for (const filter of REQUEST_FILTERS) {
      this.unsubscribes.push(
        await this.options.mqtt.subscribe(filter, (topic, payload) => this.onRequest(topic, payload)),
      );
    }
  }

  async stop(): Promise<void> {
    const unsubscribes = this.unsubscribes;
    this.unsubscribes = [];
    await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe()));
    await this.queue.idle();
    this.timeouts.clear();
  }

  /** Queues one execution per target and tells each target whose next job changed. */
  async createJob(input: CreateJobInput): Promise<JobDescription> {
    const job = this.checkedJob(input);
    return this.change(async (file) => {
      if (file.jobs.some((existing) => existing.jobId === job.jobId)) throw new JobExistsError(job.jobId);
      file.jobs.push(job);
      for (const thingName of job.targets) {
        file.executions.push({
          jobId: job.jobId,
          thingName,
          status: 'QUEUED',
          queuedAt: job.createdAt,
          lastUpdatedAt: job.createdAt,
          versionNumber: 1,
          executionNumber: 1,
          sequence: file.nextSequence++,
        });
      }
      this.log.info(
        { jobId: job.jobId, operation: job.document.operation, targets: job.targets },
        'job created',
      );
      return { result: describe(job, file.executions), answers: [] };
    });
  }

  describeJob(jobId: string): JobDescription {
    const job = this.file.jobs.find((candidate) => candidate.jobId === jobId);
    if (job === undefined) throw new UnknownJobError(jobId);
    return describe(job, this.file.executions);
  }

  /** Newest first. */
  listJobs(): JobSummary[] {
    return [...this.file.jobs].reverse().map((job) => summarize(job, this.file.executions));
  }

  /**
   * Cancels the job: QUEUED executions become CANCELED; IN_PROGRESS ones too with `force`
   * (otherwise they run to their end), as CancelJob does.
   */
  cancelJob(jobId: string, options: { force?: boolean } = {}): Promise<JobDescription> {
    return this.change(async (file) => {
      const job = file.jobs.find((candidate) => candidate.jobId === jobId);
      if (job === undefined) throw new UnknownJobError(jobId);
      const now = this.seconds();
      job.canceledAt ??= now;
      for (const execution of file.executions) {
        if (execution.jobId !== jobId) continue;
        if (execution.status === 'QUEUED' || (options.force === true && execution.status === 'IN_PROGRESS')) {
          execution.status = 'CANCELED';
          execution.lastUpdatedAt = now;
          execution.versionNumber += 1;
          delete execution.timeoutAt;
        }
      }
      this.log.info({ jobId, force: options.force === true }, 'job canceled');
      return { result: describe(job, file.executions), answers: [] };
    });
  }

  private checkedJob(input: CreateJobInput): StoredJob {
    if (!isPlainObject(input.document)) throw new JobInputError('document', 'must be a JSON object');
    const bytes = Buffer.byteLength(JSON.stringify(input.document));
    if (bytes > MAX_DOCUMENT_BYTES) {
      throw new JobInputError('document', `is ${bytes} bytes, at most ${MAX_DOCUMENT_BYTES} allowed`);
    }
    if (!Array.isArray(input.targets) || input.targets.length === 0) {
      throw new JobInputError('targets', 'must name at least one thing');
    }
    for (const target of input.targets) {
      if (typeof target !== 'string' || !THING_NAME_PATTERN.test(target)) {
        throw new JobInputError(
          'targets',
          `"${String(target).slice(0, 140)}" is not a thing name (${THING_NAME_PATTERN})`,
        );
      }
    }
    if (new Set(input.targets).size !== input.targets.length) {
      throw new JobInputError('targets', 'names a thing more than once');
    }
    const minutes = input.stepTimeoutMinutes;
    if (
      minutes !== undefined &&
      !(Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_STEP_TIMEOUT_MINUTES)
    ) {
      throw new JobInputError(
        'stepTimeoutMinutes',
        `must be an integer from 1 to ${MAX_STEP_TIMEOUT_MINUTES}`,
      );
    }
    const operation = typeof input.document.operation === 'string' ? input.document.operation : 'job';
    const jobId =
      input.jobId ?? `${operation.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 40)}-${randomUUID().slice(0, 8)}`;
    if (typeof jobId !== 'string' || !JOB_ID_PATTERN.test(jobId)) {
      throw new JobInputError('jobId', `"${String(jobId).slice(0, 80)}" must match ${JOB_ID_PATTERN}`);
    }
    return {
      jobId,
      document: input.document,
      targets: [...input.targets],
      createdAt: this.seconds(),
      ...(minutes === undefined ? {} : { stepTimeoutMinutes: minutes }),
    };
  }

  private onRequest(topic: string, payload: Buffer): void {
    const match = JOBS_TOPIC_PATTERN.exec(topic);
    // Answers and notify-next are ours; only requests are handled.
    if (!match || match[5] !== undefined || match[2] === 'notify-next') return;
    const [, thing = '', operation = '', jobId, jobOperation] = match;
    this.counters.requests += 1;
    const work =
      operation === 'start-next'
        ? this.startNext(thing, payload)
        : operation === 'get'
          ? this.getPending(thing, payload)
          : jobOperation === 'update'
            ? this.update(thing, jobId ?? '', payload)
            : this.describeExecution(thing, jobId ?? '', payload);
    work.catch((error: unknown) => {
      this.counters.unanswered += 1;
      this.log.error(
        { err: error, thing, topic, unanswered: this.counters.unanswered },
        'jobs request failed and was not answered',
      );
    });
  }

  private startNext(thing: string, payload: Buffer): Promise<void> {
    const topics = jobsTopics(thing);
    const parsed = parseStartNext(payload);
    if (!parsed.ok) return this.answerOnly(this.rejection(topics.startNextRejected, parsed));
    const { request } = parsed;
    return this.change(async (file) => {
      const now = this.clock.now();
      const next = nextPending(file.executions, thing);
      if (next !== undefined && next.status === 'QUEUED') {
        const job = this.jobOf(next.jobId);
        next.status = 'IN_PROGRESS';
        next.startedAt = Math.floor(now / 1000);
        next.lastUpdatedAt = next.startedAt;
        next.versionNumber += 1;
        if (request.statusDetails !== undefined) next.statusDetails = request.statusDetails;
        const minutes = request.stepTimeoutInMinutes ?? job?.stepTimeoutMinutes;
        if (minutes !== undefined) next.timeoutAt = now + minutes * 60_000;
        this.log.info({ thing, jobId: next.jobId }, 'job execution started');
      }
      const body: StartNextAccepted = {
        ...(next === undefined ? {} : { execution: toJobExecution(next, this.jobOf(next.jobId), now) }),
        timestamp: this.seconds(),
        ...token(request.clientToken),
      };
      return { result: undefined, answers: [{ topic: topics.startNextAccepted, body }] };
    }).catch((error: unknown) => this.failInternally(topics.startNextRejected, error, request.clientToken));
  }

  private update(thing: string, jobId: string, payload: Buffer): Promise<void> {
    const topics = jobsTopics(thing);
    const parsed = parseUpdate(payload);
    if (!parsed.ok) return this.answerOnly(this.rejection(topics.updateRejected(jobId), parsed));
    const { request } = parsed;
    return this.change(async (file) => {
      const execution = file.executions.find(
        (candidate) => candidate.jobId === jobId && candidate.thingName === thing,
      );
      const refused = this.updateProblem(execution, request);
      if (refused !== undefined || execution === undefined) {
        const problem = refused ?? {
          code: 'ResourceNotFound' as const,
          message: `Job ${jobId} not found for ${thing}`,
        };
        return {
          result: undefined,
          answers: [
            this.rejection(
              topics.updateRejected(jobId),
              { ...problem, clientToken: request.clientToken },
              execution,
            ),
          ],
        };
      }
      this.applyUpdate(execution, request);
      const job = this.jobOf(jobId);
      const body: UpdateJobExecutionAccepted = {
        ...(request.includeJobExecutionState === true ? { executionState: executionState(execution) } : {}),
        ...(request.includeJobDocument === true && job !== undefined ? { jobDocument: job.document } : {}),
        timestamp: this.seconds(),
        ...token(request.clientToken),
      };
      this.log.info(
        { thing, jobId, status: execution.status, statusDetails: execution.statusDetails },
        'job execution updated',
      );
      return { result: undefined, answers: [{ topic: topics.updateAccepted(jobId), body }] };
    }).catch((error: unknown) =>
      this.failInternally(topics.updateRejected(jobId), error, request.clientToken),
    );
  }

  private updateProblem(
    execution: StoredExecution | undefined,
    request: UpdateJobExecutionRequest,
  ): { code: JobsErrorCode; message: string } | undefined {
    if (execution === undefined) return undefined;
    if (request.executionNumber !== undefined && request.executionNumber !== execution.executionNumber) {
      return {
        code: 'ResourceNotFound',
        message: `No execution number ${request.executionNumber} of job ${execution.jobId}`,
      };
    }
    if (isTerminal(execution.status)) return transitionProblem(execution.status, request.status);
    if (request.expectedVersion !== undefined && request.expectedVersion !== execution.versionNumber) {
      return {
        code: 'VersionMismatch',
        message: `expectedVersion ${request.expectedVersion} is not the execution's version ${execution.versionNumber}`,
      };
    }
    return transitionProblem(execution.status, request.status);
  }

  private applyUpdate(execution: StoredExecution, request: UpdateJobExecutionRequest): void {
    const now = this.clock.now();
    const wasQueued = execution.status === 'QUEUED';
    execution.status = request.status;
    execution.lastUpdatedAt = Math.floor(now / 1000);
    execution.versionNumber += 1;
    if (request.statusDetails !== undefined) execution.statusDetails = request.statusDetails;
    if (request.status !== 'IN_PROGRESS') {
      delete execution.timeoutAt;
      return;
    }
    if (wasQueued) execution.startedAt = execution.lastUpdatedAt;
    // A new step timeout restarts the clock; entering IN_PROGRESS starts the job's own.
    const minutes =
      request.stepTimeoutInMinutes ??
      (wasQueued ? this.jobOf(execution.jobId)?.stepTimeoutMinutes : undefined);
    if (minutes !== undefined) execution.timeoutAt = now + minutes * 60_000;
  }

  private getPending(thing: string, payload: Buffer): Promise<void> {
    const topics = jobsTopics(thing);
    const parsed = parseDescribe(payload);
    if (!parsed.ok) return this.answerOnly(this.rejection(topics.getPendingRejected, parsed));
    return this.queue.run(FILE, async () => {
      const pending = pendingOf(this.file.executions, thing).sort((a, b) => a.sequence - b.sequence);
      const body: GetPendingJobExecutionsAccepted = {
        inProgressJobs: pending.filter((execution) => execution.status === 'IN_PROGRESS').map(toSummary),
        queuedJobs: pending.filter((execution) => execution.status === 'QUEUED').map(toSummary),
        timestamp: this.seconds(),
        ...token(parsed.request.clientToken),
      };
      await this.publishAll([{ topic: topics.getPendingAccepted, body }]);
    });
  }

  private describeExecution(thing: string, jobId: string, payload: Buffer): Promise<void> {
    const topics = jobsTopics(thing);
    const parsed = parseDescribe(payload);
    if (!parsed.ok) return this.answerOnly(this.rejection(topics.describeRejected(jobId), parsed));
    const { request } = parsed;
    return this.queue.run(FILE, async () => {
      const execution =
        jobId === '$next'
          ? nextPending(this.file.executions, thing)
          : this.file.executions.find(
              (candidate) => candidate.jobId === jobId && candidate.thingName === thing,
            );
      if (execution === undefined && jobId !== '$next') {
        const problem = {
          code: 'ResourceNotFound' as const,
          message: `Job ${jobId} not found for ${thing}`,
          clientToken: request.clientToken,
        };
        await this.publishAll([this.rejection(topics.describeRejected(jobId), problem)]);
        return;
      }
      const body = {
        ...(execution === undefined
          ? {}
          : {
              execution: toJobExecution(
                execution,
                this.jobOf(execution.jobId),
                this.clock.now(),
                request.includeJobDocument !== false,
              ),
            }),
        timestamp: this.seconds(),
        ...token(request.clientToken),
      };
      await this.publishAll([{ topic: topics.describeAccepted(jobId), body }]);
    });
  }

  private onStepTimeout(key: string): void {
    const [jobId, thing] = key.split('\n') as [string, string];
    this.change(async (file) => {
      const execution = file.executions.find(
        (candidate) => candidate.jobId === jobId && candidate.thingName === thing,
      );
      if (
        execution === undefined ||
        execution.status !== 'IN_PROGRESS' ||
        execution.timeoutAt === undefined ||
        execution.timeoutAt > this.clock.now()
      ) {
        return { result: undefined, answers: [] };
      }
      execution.status = 'TIMED_OUT';
      execution.lastUpdatedAt = this.seconds();
      execution.versionNumber += 1;
      delete execution.timeoutAt;
      this.counters.timedOut += 1;
      this.log.warn({ thing, jobId }, 'job execution timed out: no update within its step timeout');
      return { result: undefined, answers: [] };
    }).catch((error: unknown) =>
      this.log.error({ err: error, thing, jobId }, 'step timeout could not be recorded'),
    );
  }

  /**
   * Runs one change of the jobs file under the queue: on disk first, then the answers, then
   * notify-next to every thing whose next execution is now another one. A failed write leaves
   * memory as it was before the change.
   */
  private change<T>(apply: (file: JobsFile) => Promise<{ result: T; answers: Answer[] }>): Promise<T> {
    return this.queue.run(FILE, async () => {
      const before = structuredClone(this.file);
      let outcome: { result: T; answers: Answer[] };
      try {
        outcome = await apply(this.file);
        // A rejection or an empty start-next changes nothing: no write for it.
        if (JSON.stringify(this.file) !== JSON.stringify(before)) await this.store.save(this.file);
      } catch (error) {
        this.file = before;
        throw error;
      }
      this.syncTimeouts();
      await this.publishAll(outcome.answers);
      await this.announceNextChanges();
      return outcome.result;
    });
  }

  private async announceNextChanges(): Promise<void> {
    const now = this.clock.now();
    for (const thing of new Set(this.file.executions.map((execution) => execution.thingName))) {
      const next = nextPending(this.file.executions, thing);
      const jobId = next?.jobId ?? null;
      if ((this.announced.get(thing) ?? null) === jobId) continue;
      this.announced.set(thing, jobId);
      const body: NextJobExecutionChanged = {
        ...(next === undefined ? {} : { execution: toJobExecution(next, this.jobOf(next.jobId), now) }),
        timestamp: Math.floor(now / 1000),
      };
      this.counters.notifications += 1;
      await this.options.mqtt.publish(jobsTopics(thing).notifyNext, body);
    }
  }

  private syncTimeouts(): void {
    const wanted = new Set<string>();
    for (const execution of this.file.executions) {
      if (execution.status !== 'IN_PROGRESS' || execution.timeoutAt === undefined) continue;
      const key = `${execution.jobId}\n${execution.thingName}`;
      wanted.add(key);
      this.timeouts.schedule(key, execution.timeoutAt);
    }
    for (const key of this.timeouts.keys()) if (!wanted.has(key)) this.timeouts.cancel(key);
  }

  private rejection(
    topic: string,
    problem: { code: JobsErrorCode; message: string; clientToken?: string | undefined },
    execution?: StoredExecution,
  ): Answer {
    this.log.info({ topic, code: problem.code, reason: problem.message }, 'jobs request rejected');
    const body: JobsErrorResponse = {
      code: problem.code,
      message: problem.message,
      timestamp: this.seconds(),
      ...token(problem.clientToken),
      ...(execution !== undefined && problem.code !== 'ResourceNotFound'
        ? { executionState: executionState(execution) }
        : {}),
    };
    return { topic, body };
  }

  private async failInternally(
    topic: string,
    error: unknown,
    clientToken: string | undefined,
  ): Promise<void> {
    if (error instanceof UnknownJobError || error instanceof JobExistsError) throw error;
    this.log.error({ err: error, topic }, 'jobs file could not be written; request answered InternalError');
    await this.publishAll([
      this.rejection(topic, { code: 'InternalError', message: 'Internal service failure', clientToken }),
    ]);
  }

  private answerOnly(answer: Answer): Promise<void> {
    return this.queue.run(FILE, () => this.publishAll([answer]));
  }

  private async publishAll(answers: readonly Answer[]): Promise<void> {
    for (const answer of answers) {
      if (answer.topic.endsWith('/rejected')) this.counters.rejected += 1;
      else this.counters.accepted += 1;
      await this.options.mqtt.publish(answer.topic, answer.body);
    }
  }

  private jobOf(jobId: string): StoredJob | undefined {
    return this.file.jobs.find((job) => job.jobId === jobId);
  }

  private seconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

function executionState(execution: StoredExecution): NonNullable<JobsErrorResponse['executionState']> {
  return {
    status: execution.status,
    ...(execution.statusDetails === undefined ? {} : { statusDetails: execution.statusDetails }),
    versionNumber: execution.versionNumber,
  };
}

function token(clientToken: string | undefined): { clientToken?: string } {
  return clientToken === undefined ? {} : { clientToken };
}
