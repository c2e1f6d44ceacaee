import type { ValidateFunction } from 'ajv';
import { ContractValidationError } from './errors.js';
import telemetrySchema from './schemas/telemetry-v1.schema.json' with { type: 'json' };
import type { TelemetryEnvelope, TelemetryReading } from './telemetry.js';
import { compileContract, describeAjvErrors } from './validate.js';

/**
 * How far in the future a reading's `ts` may be, by default, against the moment the pipeline
 * received it. A Pi without a real-time clock runs late until NTP syncs, never early, so a reading
 * from the future is a clock set wrong by hand or a forged one.
 */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** The reason every consumer gives for an envelope or event that names another device. */
export const IDENTITY_MISMATCH_REASON = 'deviceId does not match topic';

/** A payload's `deviceId` disagrees with the thing name of the topic it arrived on. */
export class IdentityMismatchError extends ContractValidationError {
  constructor(
    contract: string,
    readonly claimed: unknown,
    readonly topicThing: string,
  ) {
    super(contract, [identityMismatchProblem(claimed, topicThing)]);
  }
}

export function identityMismatchProblem(claimed: unknown, topicThing: string): string {
  return `${IDENTITY_MISMATCH_REASON}: the payload says ${JSON.stringify(claimed)}, the topic's thing is "${topicThing}"`;
}

/**
 * The thing name(s) the transport vouches for: the topic's thing as the topic rule added it
 * (`thing`), and the Kinesis partition key (the rule sets it to the same topic level). Either may
 * be unknown to a consumer; at least one must be known.
 */
export interface TopicIdentity {
  thing?: string | undefined;
  partitionKey?: string | undefined;
  /**
   * Take the payload's word when neither is known. Only for records re-read from a raw archive
   * written before the rule added `thing`: they entered the pipeline before identity was checked,
   * and no device can put a record on the stream without the rule adding it today.
   */
  acceptUnvouched?: boolean | undefined;
}

/**
 * The one device id the transport vouches for, or throws IdentityMismatchError when the two
 * sources disagree with each other or with `claimed` (the payload's deviceId), and
 * ContractValidationError when neither is known.
 */
export function checkIdentity(contract: string, claimed: unknown, identity: TopicIdentity): string {
  const { thing, partitionKey } = identity;
  const vouched = thing ?? partitionKey;
  if (vouched === undefined && identity.acceptUnvouched === true && typeof claimed === 'string')
    return claimed;
  if (vouched === undefined) {
    throw new ContractValidationError(contract, [
      'record carries no topic identity: neither the topic rule\'s "thing" nor a partition key',
    ]);
  }
  if (claimed !== vouched) throw new IdentityMismatchError(contract, claimed, vouched);
  if (partitionKey !== undefined && partitionKey !== vouched) {
    throw new IdentityMismatchError(contract, claimed, partitionKey);
  }
  return vouched;
}

/** One reading of an envelope that could not land, with enough to find it again. */
export interface RejectedReading {
  /** Its place in the envelope's `readings`. */
  index: number;
  /** Its seq when that much of it is an integer, else null. */
  seq: number | null;
  reason: string;
  /** The reading as received. */
  reading: unknown;
}

/** An envelope whose readings were checked one by one: the good ones, and why each other is not. */
export interface CheckedTelemetry {
  /** The envelope with only the readings that passed, in their order (possibly none). */
  envelope: TelemetryEnvelope;
  rejected: RejectedReading[];
}

export interface ReadingCheckOptions {
  /** When the pipeline received the envelope: the reference for the future-skew rule. */
  receivedAt: Date;
  /** Default DEFAULT_MAX_FUTURE_SKEW_MS. */
  maxFutureSkewMs?: number;
}

// The envelope's own fields are checked by the v1 schema with `readings` only required to be a
// non-empty array; each reading is then checked by the schema's reading definition on its own.
const headerSchema = {
  ...telemetrySchema,
  $id: 'https://coffee-iot.dev/schemas/telemetry-v1-header.schema.json',
  properties: { ...telemetrySchema.properties, readings: { type: 'array', minItems: 1 } },
};
const readingSchema = {
  $id: 'https://coffee-iot.dev/schemas/telemetry-v1-reading.schema.json',
  ...telemetrySchema.definitions.reading,
};
const headerValidator = compileContract<Omit<TelemetryEnvelope, 'readings'> & { readings: unknown[] }>(
  headerSchema,
);
const readingValidator = compileContract<TelemetryReading>(readingSchema);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function two(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

/**
 * Whether `YYYY-MM-DDTHH:MM:SS.mmmZ` (the schema pattern has checked it digit by digit) names a
 * real moment: the pattern lets month 13, 30 February or hour 24 through, and such a value makes
 * Athena's and Firehose's timestamp parsers fail a whole file rather than one record. Character
 * arithmetic: this runs once per reading, where Date parsing would cost a third of the transform.
 */
export function isRealIsoMillis(iso: string): boolean {
  const year = two(iso, 0) * 100 + two(iso, 2);
  const month = two(iso, 5);
  const day = two(iso, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= monthDays && two(iso, 11) <= 23 && two(iso, 14) <= 59 && two(iso, 17) <= 59;
}

function seqOf(reading: unknown): number | null {
  if (typeof reading !== 'object' || reading === null) return null;
  const { seq } = reading as { seq?: unknown };
  return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null;
}

/**
 * Checks the envelope's own fields (throws ContractValidationError naming every problem: the
 * whole envelope is unusable) and then each reading on its own: the schema's types and physical
 * ranges, a real timestamp, no more than the allowed skew in the future. The readings that pass
 * form the returned envelope; every other one is in `rejected` with its seq and reason. Every
 * reading is in exactly one of the two.
 */
export function checkTelemetryEnvelope(
  contract: string,
  value: unknown,
  options: ReadingCheckOptions,
): CheckedTelemetry {
  const validateHeader = headerValidator();
  if (!validateHeader(value))
    throw new ContractValidationError(contract, describeAjvErrors(validateHeader.errors));
  const validateReading = readingValidator();
  const skew = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  // ISO strings of one fixed form order as their moments do: one Date for the whole envelope.
  const latestTs = latestTsOf(options.receivedAt.getTime() + skew);
  const accepted: TelemetryReading[] = [];
  const rejected: RejectedReading[] = [];
  const { readings } = value;
  for (let index = 0; index < readings.length; index += 1) {
    const reading = readings[index];
    const reason = readingProblem(validateReading, reading, index, latestTs, skew);
    if (reason === undefined) accepted.push(reading as TelemetryReading);
    else rejected.push({ index, seq: seqOf(reading), reason, reading });
  }
  const envelope: TelemetryEnvelope =
    rejected.length === 0
      ? (value as TelemetryEnvelope)
      : { v: value.v, deviceId: value.deviceId, bootId: value.bootId, readings: accepted };
  return { envelope, rejected };
}

// Records of a batch mostly share their arrival: the last bound is kept, not recomputed.
let lastLatestMs = Number.NaN;
let lastLatestTs = '';

function latestTsOf(ms: number): string {
  if (ms !== lastLatestMs) {
    lastLatestTs = new Date(ms).toISOString();
    lastLatestMs = ms;
  }
  return lastLatestTs;
}

function readingProblem(
  validate: ValidateFunction<TelemetryReading>,
  reading: unknown,
  index: number,
  latestTs: string,
  skewMs: number,
): string | undefined {
  if (!validate(reading)) {
    return describeAjvErrors(validate.errors)
      .map((problem) => `/readings/${index}${problem.startsWith('(root)') ? problem.slice(6) : problem}`)
      .join('; ');
  }
  const { ts } = reading;
  if (!isRealIsoMillis(ts)) return `/readings/${index}/ts: ${ts} is not a real UTC moment`;
  if (ts > latestTs) {
    return `/readings/${index}/ts: ${ts} is more than ${skewMs / 1000} s after the message arrived`;
  }
  return undefined;
}
