import {
  findUnputtableRecords,
  type IngestRecord,
  type IngestStream,
  StreamUnavailableError,
} from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';

export interface TelemetryRuleOptions {
  stream: IngestStream;
  logger: Logger;
  /** Records gathered before one PutRecords (IoT Core's Kinesis action sends one per message). */
  flushMs?: number;
  /** Records held while Kinesis is unreachable; past this the oldest are dropped and counted. */
  maxQueued?: number;
}

export interface TelemetryRuleCounters {
  matched: number;
  delivered: number;
  /** Payloads that are not JSON objects: IoT Core's rule fails on them too (error action). */
  failed: number;
  /** Records dropped because the queue was full while the stream was down. */
  dropped: number;
}

/**
 * The local stand-in for the IoT topic rule `SELECT *, 'telemetry' AS type FROM
 * 'dt/coffee-iot/+/telemetry'` with its Kinesis action (partition key = thing name). Like IoT
 * Core it runs after the broker has acknowledged the message, and batches a little, since
 * kinesalite pays per call where Kinesis would not.
 */
export class TelemetryRule {
  readonly counters: TelemetryRuleCounters = { matched: 0, delivered: 0, failed: 0, dropped: 0 };
  private queue: IngestRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | null = null;

  constructor(private readonly options: TelemetryRuleOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.send(), this.options.flushMs ?? 100);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sending;
    await this.send();
    if (this.queue.length > 0) {
      this.options.logger.error(
        { records: this.queue.length },
        'telemetry rule stopped with records the stream did not take; they are lost (the devices already had their PUBACK)',
      );
      this.counters.dropped += this.queue.length;
      this.queue = [];
    }
  }

  /** One message published on a device's telemetry topic. */
  onMessage(thingName: string, payload: Buffer): void {
    this.counters.matched += 1;
    const data = ruleOutput(payload);
    if (typeof data === 'string') {
      this.counters.failed += 1;
      this.options.logger.warn(
        { thingName, reason: data },
        'telemetry rule failed on a message (error action)',
      );
      return;
    }
    const record = { partitionKey: thingName, data };
    const [unputtable] = findUnputtableRecords([record]);
    if (unputtable !== undefined) {
      // Kinesis would refuse it on every retry, and the records queued behind it with it.
      this.counters.failed += 1;
      this.options.logger.warn(
        { thingName, reason: unputtable.reason },
        'telemetry rule failed on a message the stream can never take (error action)',
      );
      return;
    }
    const maxQueued = this.options.maxQueued ?? 200_000;
    if (this.queue.length >= maxQueued) {
      this.queue.shift();
      this.counters.dropped += 1;
      if (this.counters.dropped % 1000 === 1) {
        this.options.logger.error(
          { dropped: this.counters.dropped, maxQueued },
          'ingest stream unreachable and the rule queue is full: dropping the oldest telemetry',
        );
      }
    }
    this.queue.push(record);
  }

  private async send(): Promise<void> {
    if (this.sending || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.sending = this.options.stream
      .putRecords(batch)
      .then(() => {
        this.counters.delivered += batch.length;
      })
      .catch((error: unknown) => {
        // The stream names the records it did not take (the others are in and must not be sent
        // twice); without that list, none was taken.
        const notAccepted =
          error instanceof StreamUnavailableError && error.notAccepted !== undefined
            ? [...error.notAccepted]
                .sort((a, b) => a - b)
                .flatMap((index) => {
                  const record = batch[index];
                  return record === undefined ? [] : [record];
                })
            : batch;
        this.counters.delivered += batch.length - notAccepted.length;
        // Kept for the next tick, in order, ahead of what arrived meanwhile.
        this.queue = notAccepted.concat(this.queue);
        this.options.logger.error(
          { err: error, records: notAccepted.length, accepted: batch.length - notAccepted.length },
          'ingest stream refused telemetry; retrying',
        );
      })
      .finally(() => {
        this.sending = null;
      });
    await this.sending;
  }
}

/** `SELECT *, 'telemetry' AS type`: the payload's fields plus type, or why the rule fails. */
export function ruleOutput(payload: Buffer): Uint8Array | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return `payload is not JSON (${(error as Error).message})`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return 'payload is not a JSON object';
  }
  return Buffer.from(JSON.stringify({ ...parsed, type: 'telemetry' }));
}
