import { COFFEE_RECORD_TYPE, type CoffeeRecord, TELEMETRY_RECORD_TYPE } from './coffee-record.js';
import { ContractValidationError } from './errors.js';
import type { TelemetryEnvelope } from './telemetry.js';
import { DEFAULT_TOPIC_PREFIX, topicFilter } from './topics.js';
import { validateCoffeeRecord, validateTelemetryEnvelope } from './validate.js';

/**
 * The ingest stream's records (DESIGN.md, "Ingest stream"): one JSON object per Kinesis record,
 * partition key = device id, `type` telling the two kinds apart.
 *
 * - `type: "telemetry"`: the telemetry envelope v1 exactly as the device published it, plus
 *   `type`. The IoT topic rule adds the field (TELEMETRY_TOPIC_RULE_SQL); the envelope schema
 *   itself stays closed (additionalProperties false), so the parser takes `type` off before
 *   validating the rest as an envelope.
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

/** The IoT SQL version the rule is written for (AWS IoT's current one). */
export const TOPIC_RULE_SQL_VERSION = '2016-03-23';

/**
 * The IoT topic rule's SQL for the telemetry topics under `prefix`: the envelope unchanged, plus
 * `type`. Infra deploys it with a Kinesis action whose partition key is `${topic(3)}` (the thing
 * name, which is the device id); the local stack's forwarder builds the same record with
 * telemetryIngestRecord().
 */
export function telemetryTopicRuleSql(prefix: string = DEFAULT_TOPIC_PREFIX): string {
  // The filter is a single-quoted IoT SQL string literal: a quote in it would end the literal.
  if (prefix.includes("'")) throw new TypeError(`topic prefix "${prefix}" must not contain a single quote`);
  return `SELECT *, '${TELEMETRY_RECORD_TYPE}' AS type FROM '${topicFilter(prefix, 'telemetry')}'`;
}

/** `SELECT *, 'telemetry' AS type FROM 'dt/coffee-iot/+/telemetry'` */
export const TELEMETRY_TOPIC_RULE_SQL = telemetryTopicRuleSql();

/** What the topic rule writes for one telemetry message. */
export type TelemetryIngestRecord = TelemetryEnvelope & { type: typeof TELEMETRY_RECORD_TYPE };

export function telemetryIngestRecord(envelope: TelemetryEnvelope): TelemetryIngestRecord {
  return { ...envelope, type: TELEMETRY_RECORD_TYPE };
}

export type ParsedIngestRecord =
  | { type: typeof TELEMETRY_RECORD_TYPE; envelope: TelemetryEnvelope; reingested: number }
  | { type: typeof COFFEE_RECORD_TYPE; record: CoffeeRecord; reingested: number };

// fatal: bytes that are not UTF-8 are refused with a reason rather than turned into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(problems: string[]): ContractValidationError {
  return new ContractValidationError(INGEST_RECORD_CONTRACT, problems);
}

/**
 * Parses one ingest-stream record and validates it against its contract. Throws
 * ContractValidationError naming every problem: bytes that are not UTF-8 or not JSON, a missing
 * or unknown `type`, a bad `reingested`, and every schema failure of the envelope or record.
 */
export function parseIngestRecord(payload: Uint8Array | string): ParsedIngestRecord {
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
    const result = validateTelemetryEnvelope(rest);
    if (!result.ok) problems.push(...result.problems);
    if (problems.length > 0 || !result.ok) throw invalid(problems);
    return { type, envelope: result.value, reingested };
  }
  if (type === COFFEE_RECORD_TYPE) {
    // The coffee record's own schema requires `type`, so it is validated with it.
    const result = validateCoffeeRecord({ ...rest, type });
    if (!result.ok) problems.push(...result.problems);
    if (problems.length > 0 || !result.ok) throw invalid(problems);
    return { type, record: result.value, reingested };
  }
  problems.push(
    type === undefined
      ? `/type: missing (expected one of ${INGEST_RECORD_TYPES.join(', ')})`
      : `/type: unknown type ${JSON.stringify(type)} (expected one of ${INGEST_RECORD_TYPES.join(', ')})`,
  );
  throw invalid(problems);
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
