import { appendFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import {
  asS3Notification,
  handlePhotoEvent,
  type Logger,
  type PhotoEventSummary,
  type PhotoPipelineDeps,
} from '@coffee-iot/cloud';

export interface PhotoInvokerOptions {
  deps: PhotoPipelineDeps;
  logger: Logger;
  /** Where events that failed every attempt are written, like a Lambda on-failure destination. */
  deadLetterPath: string;
  /** Waits before the 2nd and 3rd attempt (Lambda's asynchronous invocation retries twice). */
  retryDelaysMs?: readonly number[];
  onProcessed?: (summary: PhotoEventSummary) => void;
}

export interface PhotoInvokerCounters {
  events: number;
  recorded: number;
  retries: number;
  deadLettered: number;
}

/**
 * s3rver's ObjectCreated events → the photo Lambda's handler, one event at a time: the local
 * analyzer takes one photo at a time anyway, and the stack stays responsive. Failed events are
 * retried twice and then written to the dead-letter file, never dropped unseen.
 */
export class PhotoInvoker {
  readonly counters: PhotoInvokerCounters = { events: 0, recorded: 0, retries: 0, deadLettered: 0 };
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopping = false;

  constructor(private readonly options: PhotoInvokerOptions) {}

  /** Queues one S3 event exactly as s3rver emitted it (keys raw; encoded here as S3 would). */
  invoke(event: { Records: unknown[] }): Promise<void> {
    this.pending += 1;
    const run = this.chain.then(() => this.runWithRetries(asS3Notification(event as { Records: [] })));
    // The caller gets this event's failure (a dead-letter file it could not write); the chain
    // does not, or every later event would fail unrun and stop() would reject.
    this.chain = run
      .catch(() => undefined)
      .finally(() => {
        this.pending -= 1;
      });
    return run;
  }

  get queued(): number {
    return this.pending;
  }

  /** Waits for the queued events; retries still waiting are cut short and dead-lettered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.chain;
  }

  private async runWithRetries(event: unknown): Promise<void> {
    const delays = this.options.retryDelaysMs ?? [1000, 2000];
    this.counters.events += 1;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const summary = await handlePhotoEvent(event, this.options.deps);
        this.counters.recorded += summary.recorded.length;
        this.options.onProcessed?.(summary);
        return;
      } catch (error) {
        const wait = delays[attempt];
        if (wait === undefined || this.stopping) {
          await this.deadLetter(event, error, attempt + 1);
          return;
        }
        this.counters.retries += 1;
        this.options.logger.warn(
          { err: error, attempt: attempt + 1, retryInMs: wait },
          'photo event failed; retrying',
        );
        await delay(wait);
      }
    }
  }

  private async deadLetter(event: unknown, error: unknown, attempts: number): Promise<void> {
    this.counters.deadLettered += 1;
    const line = JSON.stringify({
      failedAt: new Date().toISOString(),
      attempts,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      event,
    });
    this.options.logger.error(
      { err: error, attempts, deadLetter: this.options.deadLetterPath },
      'photo event failed every attempt; written to the dead-letter file (restart the stack to retry it)',
    );
    await appendFile(this.options.deadLetterPath, `${line}\n`);
  }
}
