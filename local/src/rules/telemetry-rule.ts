import {
  findUnputtableRecords,
  type IngestRecord,
  type IngestStream,
  StreamUnavailableError,
} from '@coffee-iot/cloud';
import { ruleErrorRecord } from '@coffee-iot/cloud/lake';
import type { Logger } from '@coffee-iot/device';
import {
  DEFAULT_TOPIC_PREFIX,
  RESERVED_THING_FIELD_REASON,
  TELEMETRY_RECORD_TYPE,
  THING_FIELD,
} from '@coffee-iot/shared';
import type { MessageArrival } from './message-arrival.js';
import { payloadObject } from './payload-object.js';
import type { RuleErrorSink } from './rule-error-sink.js';

/** The rule's name in its error records (AWS names the deployed rule; this is the local one). */
export const TELEMETRY_RULE_NAME = 'coffee_iot_telemetry';

export interface TelemetryRuleOptions {
  stream: IngestStream;
  logger: Logger;
  /** The error action: messages the rule fails on, into the lake's errors/rule/. */
  errors?: RuleErrorSink;
  /** The stream's name, for error records. */
  streamName?: string;
  /** For the topic of a message handed over without one. */
  topicPrefix?: string;
  /** Records gathered before one PutRecords (IoT Core's Kinesis action sends one per message). */
  flushMs?: number;
  /** Records held while Kinesis is unreachable; past this the oldest are dropped and counted. */
  maxQueued?: number;
}

export interface TelemetryRuleCounters {
  matched: number;
  delivered: number;
  /**
   * Payloads that are not a JSON object in UTF-8 (not JSON, a NaN literal, binary): IoT Core's
   * rule fails on them too. Each goes to the error action.
   */
  malformed: number;
  /** Messages the stream can never take (over its record size): to the error action too. */
  unputtable: number;
  /** Messages that set `thing` themselves (RESERVED_THING_FIELD_REASON): to the error action. */
  identityMismatches: number;
  /** Records dropped because the queue was full while the stream was down. */
  dropped: number;
}

/**
 * The local stand-in for the IoT topic rule `SELECT *, 'telemetry' AS type, topic(3) AS thing
 * FROM 'dt/coffee-iot/+/telemetry' WHERE isUndefined(thing)` with its Kinesis action (partition key = thing name) and its
 * error action (the lake's errors/rule/). The rule vouches for the topic, not the payload: the
 * lake refuses an envelope whose deviceId is not `thing`. Like IoT Core it runs after the broker
 * has acknowledged the message, and batches a little, since kinesalite pays per call where
 * Kinesis would not.
 */
export class TelemetryRule {
  readonly counters: TelemetryRuleCounters = {
    matched: 0,
    delivered: 0,
    malformed: 0,
    unputtable: 0,
    identityMismatches: 0,
    dropped: 0,
  };
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

  /**
   * One message published on a device's telemetry topic. `arrival` names it in an error record;
   * without it the topic is built from the thing and the client id is the thing (thing policy).
   */
  onMessage(thingName: string, payload: Buffer, arrival?: MessageArrival): void {
    this.counters.matched += 1;
    const data = ruleOutput(payload, thingName);
    if (data === RESERVED_THING_FIELD_REASON) {
      this.counters.identityMismatches += 1;
      this.fail(
        thingName,
        payload,
        arrival,
        data,
        'telemetry rule refused a message that names its own thing',
      );
      return;
    }
    if (typeof data === 'string') {
      this.counters.malformed += 1;
      this.fail(thingName, payload, arrival, data, 'telemetry rule failed on a message (error action)');
      return;
    }
    const record = { partitionKey: thingName, data };
    const [unputtable] = findUnputtableRecords([record]);
    if (unputtable !== undefined) {
      // Kinesis would refuse it on every retry, and the records queued behind it with it.
      this.counters.unputtable += 1;
      this.fail(
        thingName,
        payload,
        arrival,
        `the ingest stream can never take this message: ${unputtable.reason}`,
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

  private fail(
    thingName: string,
    payload: Buffer,
    arrival: MessageArrival | undefined,
    reason: string,
    message: string,
  ): void {
    const prefix = this.options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    const topic = arrival?.topic ?? `${prefix}/${thingName}/telemetry`;
    this.options.logger.warn({ thingName, topic, reason, bytes: payload.byteLength }, message);
    this.options.errors?.refuse(
      ruleErrorRecord({
        ruleName: TELEMETRY_RULE_NAME,
        topic,
        clientId: arrival?.clientId ?? thingName,
        payload,
        arrivedAt: arrival?.arrivedAt ?? new Date(),
        reason,
        failedAction: 'KinesisAction',
        failedResource: this.options.streamName ?? 'ingest stream',
      }),
    );
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

/**
 * `SELECT *, 'telemetry' AS type, topic(3) AS thing … WHERE isUndefined(thing)`: the payload's
 * fields plus `type` and the topic's thing name (a `type` of the payload's own is overwritten);
 * or why the rule does not forward it: not a JSON object, or a payload that sets `thing` itself
 * (RESERVED_THING_FIELD_REASON), which AWS keeps through its identity rule.
 */
export function ruleOutput(payload: Uint8Array, thingName: string): Uint8Array | string {
  const parsed = payloadObject(payload);
  if (!parsed.ok) return parsed.reason;
  if (Object.hasOwn(parsed.value, THING_FIELD)) return RESERVED_THING_FIELD_REASON;
  return Buffer.from(
    JSON.stringify({ ...parsed.value, type: TELEMETRY_RECORD_TYPE, [THING_FIELD]: thingName }),
  );
}
