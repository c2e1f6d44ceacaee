import { COFFEE_RECORD_TYPE, type CoffeeRecord, TELEMETRY_RECORD_TYPE } from './coffee-record.js';
import { ContractValidationError } from './errors.js';
import { parsePhotoKey } from './photos.js';
import type { TelemetryEnvelope } from './telemetry.js';
import {
  checkIdentity,
  checkTelemetryEnvelope,
  IdentityMismatchError,
  type ReadingCheckOptions,
  type RejectedReading,
} from './telemetry-check.js';
import { DEFAULT_TOPIC_PREFIX, topicFilter } from './topics.js';
import { validateCoffeeRecord } from './validate.js';

/**
 * The ingest stream's records (DESIGN.md, "Ingest stream"): one JSON object per Kinesis record,
 * partition key = device id, `type` telling the two kinds apart.
 *
 * - `type: "telemetry"`: the telemetry envelope v1 exactly as the device published it, plus
 *   `type` and `thing`, the thing name of the topic it was published on. The IoT topic rule adds
 *   both (TELEMETRY_TOPIC_RULE_SQL); the envelope schema itself stays closed (additionalProperties
 *   false), so the parser takes them off before validating the rest as an envelope. The topic is
 *   the device's identity (IoT Core's policy binds it to the certificate): an envelope whose
 *   `deviceId` differs from `thing` or from the partition key is refused whole.
 * - `type: "coffee"`: exactly a coffee record v1 (its schema already has `type`).
 *
 * Either may carry `reingested` (an integer ≥ 1): how many times the Firehose transformation put
 * the record back on the stream because its answer would not fit in one Lambda response. It
 * is transport metadata, not part of the contracts, and lets the transformation stop a record
 * that keeps overflowing instead of looping forever.
 */
export const INGEST_RECORD_CONTRACT = 'ingest record v1';
export const INGEST_RECORD_TYPES = [TELEMETRY_RECORD_TYPE, COFFEE_RECORD_TYPE] as const;
export type IngestRecordType = (typeof INGEST_RECORD_TYPES)[number];
export const REINGESTED_FIELD = 'reingested';
/** The topic's thing name, added by the topic rule: the identity the payload must agree with. */
export const THING_FIELD = 'thing';

/** The IoT SQL version the rule is written for (AWS IoT's current one). */
export const TOPIC_RULE_SQL_VERSION = '2016-03-23';

/**
 * The IoT SQL `topic(n)` level of the thing name under `prefix` (`{prefix}/{thing}/{kind}`):
 * 3 for `dt/coffee-iot`. The Kinesis action's partition key uses the same level.
 */
export function thingTopicLevel(prefix: string = DEFAULT_TOPIC_PREFIX): number {
  return prefix.split('/').length + 1;
}

/**
 * Why a telemetry message that carries a `thing` field of its own is refused: `thing` is the
 * identity the topic rule vouches for, so no payload may set it. The telemetry rule does not
 * forward such a message; the identity rule (infra) and the local rule keep it as refused. No
 * single quote: the identity rule's IoT SQL holds it in a string literal.
 */
export const RESERVED_THING_FIELD_REASON =
  'the payload sets "thing", which only the topic rule may set: the topic is the identity';

/**
 * The IoT topic rule's SQL for the telemetry topics under `prefix`: the envelope unchanged, plus
 * `type` and the topic's thing name as `thing`. Infra deploys it with a Kinesis action whose
 * partition key is `${topic(3)}` too, or a Firehose action (Direct PUT, no partition key); the
 * local stack's rule builds the same record with telemetryIngestRecord().
 *
 * `WHERE isUndefined(thing)`: a payload with its own `thing` is not forwarded. Which of the two
 * `thing`s `SELECT *, … AS thing` keeps is not something AWS documents, and on the Direct PUT
 * path no partition key backs the topic's: the WHERE clause reads the incoming payload, so the
 * record's `thing` is the topic's whatever the SELECT's precedence. The identity rule keeps and
 * counts what this one leaves (RESERVED_THING_FIELD_REASON).
 */
export function telemetryTopicRuleSql(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  // The filter is a single-quoted IoT SQL string literal: a quote in it would end the literal.
  if (prefix.includes("'")) throw new TypeError(`topic prefix "${prefix}" must not contain a single quote`);
  const filter = topicFilter(prefix, 'telemetry');
  return `SELECT *, '${TELEMETRY_RECORD_TYPE}' AS type, topic(${thingTopicLevel(prefix)}) AS ${THING_FIELD} FROM '${filter}' WHERE isUndefined(${THING_FIELD})`;
}

/** `SELECT *, 'telemetry' AS type, topic(3) AS thing FROM 'dt/coffee-iot/+/telemetry' WHERE isUndefined(thing)` */
export const TELEMETRY_TOPIC_RULE_SQL = telemetryTopicRuleSql();

/** What the topic rule writes for one telemetry message published on `thing`'s topic. */
export type TelemetryIngestRecord = TelemetryEnvelope & { type: typeof TELEMETRY_RECORD_TYPE; thing: string };

export function telemetryIngestRecord(envelope: TelemetryEnvelope, thing: string): TelemetryIngestRecord {
  return { ...envelope, type: TELEMETRY_RECORD_TYPE, thing };
}

export type ParsedIngestRecord =
  | {
      type: typeof TELEMETRY_RECORD_TYPE;
      /** The envelope with only the readings that passed their checks. */
      envelope: TelemetryEnvelope;
      /** The readings that did not, each with its seq and reason. */
      rejectedReadings: RejectedReading[];
      reingested: number;
    }
  | { type: typeof COFFEE_RECORD_TYPE; record: CoffeeRecord; reingested: number };

export interface IngestParseOptions extends ReadingCheckOptions {
  /** The Kinesis partition key the record arrived with, when the consumer sees it. */
  partitionKey?: string | undefined;
  /** See TopicIdentity.acceptUnvouched: replaying an archive older than the `thing` field. */
  acceptUnvouched?: boolean | undefined;
}

// fatal: bytes that are not UTF-8 are refused with a reason rather than turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(problems: string[]): ContractValidationError {
  return new ContractValidationError(INGEST_RECORD_CONTRACT, problems);
}

/**
 * Parses one ingest-stream record and validates it against its contract. Throws
 * ContractValidationError naming every problem of the record as a whole: bytes that are not
 * UTF-8 or not JSON, a missing or unknown `type`, a bad `reingested`, a schema failure of the
 * envelope's own fields or of the coffee record; IdentityMismatchError when the device id is not
 * the one the topic (`thing`) and the partition key vouch for. A telemetry reading that fails its
 * own checks does not refuse the record: it is returned in `rejectedReadings`.
 */
export function parseIngestRecord(
  payload: Uint8Array | string,
  options: IngestParseOptions,
): ParsedIngestRecord {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch (cause) {
    throw new ContractValidationError(INGEST_RECORD_CONTRACT, [`payload is not UTF-8: ${String(cause)}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw invalid([`payload is not JSON: ${String(cause)}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid([
      `(root): must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
    ]);
  }
  const { type, [REINGESTED_FIELD]: reingestedValue, ...rest } = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const reingested = reingestedOf(reingestedValue, problems);

  if (type === TELEMETRY_RECORD_TYPE) {
    const { [THING_FIELD]: thing, ...envelopeFields } = rest;
    if (thing !== undefined && typeof thing !== 'string') {
      problems.push(`/${THING_FIELD}: must be the topic's thing name, got ${JSON.stringify(thing)}`);
    }
    if (problems.length > 0) throw invalid(problems);
    // Identity first: a forged envelope is refused as such, whatever else is wrong with it.
    checkIdentity(INGEST_RECORD_CONTRACT, envelopeFields.deviceId, {
      thing: thing as string | undefined,
      partitionKey: options.partitionKey,
      acceptUnvouched: options.acceptUnvouched,
    });
    const checked = checkTelemetryEnvelope(INGEST_RECORD_CONTRACT, envelopeFields, options);
    return { type, envelope: checked.envelope, rejectedReadings: checked.rejected, reingested };
  }
  if (type === COFFEE_RECORD_TYPE) {
    // The coffee record's own schema requires `type`, so it is validated with it.
    const result = validateCoffeeRecord({ ...rest, type });
    if (!result.ok) problems.push(...result.problems);
    if (problems.length > 0 || !result.ok) throw invalid(problems);
    checkCoffeeIdentity(result.value, options.partitionKey);
    return { type, record: result.value, reingested };
  }
  problems.push(
    type === undefined
      ? `/type: missing (expected one of ${INGEST_RECORD_TYPES.join(', ')})`
      : `/type: unknown type ${JSON.stringify(type)} (expected one of ${INGEST_RECORD_TYPES.join(', ')})`,
  );
  throw invalid(problems);
}

/**
 * A coffee record is the photo pipeline's, not a device's: its identity is the thing in its photo
 * key (`photos/{thing}/…`, where the device's role alias lets it write only its own prefix), and
 * the partition key the pipeline put it on the stream with.
 */
function checkCoffeeIdentity(record: CoffeeRecord, partitionKey: string | undefined): void {
  const keyThing = parsePhotoKey(record.photoKey).thingName;
  if (record.deviceId !== keyThing)
    throw new IdentityMismatchError(INGEST_RECORD_CONTRACT, record.deviceId, keyThing);
  if (partitionKey !== undefined && partitionKey !== keyThing) {
    throw new IdentityMismatchError(INGEST_RECORD_CONTRACT, record.deviceId, partitionKey);
  }
}

function reingestedOf(value: unknown, problems: string[]): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  problems.push(`/${REINGESTED_FIELD}: must be an integer ≥ 1, got ${JSON.stringify(value)}`);
  return 0;
}

const encoder = new TextEncoder();

/**
 * The record's bytes with `reingested` set to `count`, everything else as it was: what goes back
 * on the stream (or into the delivery stream) when a transformation answer overflows.
 */
export function withReingestedCount(payload: Uint8Array | string, count: number): Uint8Array {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`reingested count must be an integer ≥ 1, got ${count}`);
  }
  const text = typeof payload === 'string' ? payload : utf8.decode(payload);
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('only a JSON object can carry a reingested count');
  }
  return encoder.encode(JSON.stringify({ ...(parsed as object), [REINGESTED_FIELD]: count }));
}
