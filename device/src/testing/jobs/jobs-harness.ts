import type { JobDocument } from '@coffee-iot/shared';
import type { JobHandler, JobOutcome, JobRun } from '../../jobs/job-handler.js';
import { JobsService, type JobsServiceOptions } from '../../jobs/jobs-service.js';
import { silentLogger } from '../../ports/logger.js';
import type { ConnectionContext } from '../../remote/connection-service.js';
import { FakeTransport } from '../fake-transport.js';
import { FakeJobsService } from './fake-jobs-service.js';
import { ManualTime } from './manual-timers.js';

export const THING = 'coffee-pi-3';

/** A connection over a FakeTransport whose publishes the fake jobs service answers. */
export class FakeJobsConnection {
  readonly transport = new FakeTransport();
  private readonly controller = new AbortController();
  readonly context: ConnectionContext;

  constructor(readonly service: FakeJobsService) {
    this.transport.connected = true;
    this.transport.onPublish = (topic, payload) => {
      for (const answer of service.handle(topic, payload)) {
        queueMicrotask(() => this.transport.deliver(answer.topic, answer.payload));
      }
    };
    this.context = {
      signal: this.controller.signal,
      subscribe: (filter, onMessage) => this.transport.subscribe(filter, onMessage),
      publish: (topic, payload) =>
        this.transport.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload)),
    };
  }

  /** Delivers what the service says (notify-next after a queue or a cancel). */
  deliver(answers: { topic: string; payload: unknown }[]): void {
    for (const answer of answers) this.transport.deliver(answer.topic, answer.payload);
  }

  drop(): void {
    this.controller.abort(new Error('connection ended'));
    this.transport.dropConnection();
  }
}

/** A handler the test drives: each run waits until the test settles it. */
export class ScriptedHandler implements JobHandler {
  readonly runs: JobRun[] = [];
  problem: string | null = null;
  private readonly waiting: Array<(outcome: JobOutcome | Error) => void> = [];

  constructor(readonly operation: string) {}

  validate(_document: JobDocument): string | null {
    return this.problem;
  }

  run(job: JobRun): Promise<JobOutcome> {
    this.runs.push(job);
    return new Promise<JobOutcome>((resolve, reject) => {
      const settle = (outcome: JobOutcome | Error) =>
        outcome instanceof Error ? reject(outcome) : resolve(outcome);
      this.waiting.push(settle);
      job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true });
    });
  }

  finish(outcome: JobOutcome | Error): void {
    const settle = this.waiting.shift();
    if (!settle) throw new Error(`${this.operation}: no run is waiting`);
    settle(outcome);
  }
}

export function newService(
  stateDir: string,
  handlers: JobHandler[],
  time: ManualTime,
  extra: Partial<JobsServiceOptions> = {},
): JobsService {
  return new JobsService({
    thingName: THING,
    handlers,
    stateDir,
    onRestartRequested: () => {},
    clock: time,
    timers: time,
    logger: silentLogger(),
    ...extra,
  });
}

export { FakeJobsService, ManualTime };
