import { canonicalNumber, plainString, positiveSafeInteger, skipSpace, tokenEnd } from './json-bytes.js';
import type { ScannedTelemetry } from './scanned-telemetry.js';
import {
  BOOT_ID_KEY,
  DEVICE_ID_KEY,
  FIRST_NUMBER_KEY,
  type KeyTable,
  READINGS_KEY,
  REINGESTED_KEY,
  REQUIRED_ENVELOPE_KEYS,
  SEQ_KEY,
  type TelemetryRules,
  THING_KEY,
  TS_KEY,
  TYPE_KEY,
  V_KEY,
} from './telemetry-rules.js';

/**
 * The telemetry fast path's one pass over a record's bytes: the ingest record exactly as the
 * topic rule writes it (any key order, JSON whitespace anywhere) is checked against the same
 * rules as the slow path's (the envelope and reading schemas, real and not-future timestamps, the
 * topic identity) while it is read, into `out`. Returns true only when the record is a telemetry
 * record whose every part is valid and written in the one form the scanner copies as it is (see
 * json-bytes.ts). Anything else returns false, leaving the record to JSON.parse and the schema
 * validator, which accept it, refuse it or refuse some of its readings with their reasons: the
 * fast path never decides a refusal, so it cannot word one differently.
 *
 * `latestTs` is the latest ts allowed (arrival plus skew) as the 24 bytes of its ISO text, and
 * `partitionKey` the record's, as for the slow path.
 */
export function scanTelemetryRecord(
  data: Uint8Array,
  rules: TelemetryRules,
  latestTs: Uint8Array,
  partitionKey: string | undefined,
  out: ScannedTelemetry,
): boolean {
  let p = skipSpace(data, 0);
  if (data[p] !== OPEN_BRACE) return false;
  p = skipSpace(data, p + 1);
  let seen = 0;
  out.thingStart = -1;
  out.reingested = 0;
  out.count = 0;
  for (let slot = 0; ; slot += 1) {
    const key = readKey(data, p, rules.envelopeKeys, envelopeKeyOrder, slot);
    // Unknown or repeated (JSON.parse keeps the last of repeated keys: the slow path's to say).
    if (key < 0 || (seen & (1 << key)) !== 0) return false;
    seen |= 1 << key;
    p = valueAt;
    if (key === READINGS_KEY) {
      p = scanReadings(data, p, rules, latestTs, out);
      if (p < 0) return false;
    } else if (key === V_KEY) {
      if (positiveSafeInteger(data, p) !== 1) return false;
      p = tokenEnd;
    } else if (key === DEVICE_ID_KEY) {
      const start = plainString(data, p);
      if (start < 0 || !isThingName(data, start, tokenEnd - 1)) return false;
      out.deviceStart = start;
      out.deviceEnd = tokenEnd - 1;
      p = tokenEnd;
    } else if (key === BOOT_ID_KEY) {
      const start = plainString(data, p);
      if (start < 0 || !isUuid(data, start, tokenEnd - 1)) return false;
      out.bootStart = start;
      out.bootEnd = tokenEnd - 1;
      p = tokenEnd;
    } else if (key === TYPE_KEY) {
      const start = plainString(data, p);
      if (start < 0 || !isTelemetryType(data, start, tokenEnd - 1)) return false;
      p = tokenEnd;
    } else if (key === THING_KEY) {
      const start = plainString(data, p);
      if (start < 0) return false;
      out.thingStart = start;
      out.thingEnd = tokenEnd - 1;
      p = tokenEnd;
    } else if (key === REINGESTED_KEY) {
      const count = positiveSafeInteger(data, p);
      if (Number.isNaN(count)) return false;
      out.reingested = count;
      p = tokenEnd;
    }
    p = skipSpace(data, p);
    const c = data[p];
    if (c === COMMA) p = skipSpace(data, p + 1);
    else if (c === CLOSE_BRACE) break;
    else return false;
  }
  if (skipSpace(data, p + 1) !== data.length) return false;
  if ((seen & REQUIRED_ENVELOPE_KEYS) !== REQUIRED_ENVELOPE_KEYS) return false;
  return vouchedFor(data, out, partitionKey);
}

/**
 * The topic identity as checkIdentity has it, when it holds: the topic rule's `thing` (else the
 * partition key) names the payload's device, and so does the partition key when there is one.
 * Any other case (a mismatch, no identity at all, an archive replay's unvouched record) is the
 * slow path's.
 */
function vouchedFor(data: Uint8Array, out: ScannedTelemetry, partitionKey: string | undefined): boolean {
  const { deviceStart, deviceEnd } = out;
  if (out.thingStart >= 0) {
    if (out.thingEnd - out.thingStart !== deviceEnd - deviceStart) return false;
    for (let i = 0; i < deviceEnd - deviceStart; i += 1) {
      if (data[out.thingStart + i] !== data[deviceStart + i]) return false;
    }
  } else if (partitionKey === undefined) {
    return false;
  }
  if (partitionKey === undefined) return true;
  if (partitionKey.length !== deviceEnd - deviceStart) return false;
  for (let i = 0; i < partitionKey.length; i += 1) {
    if (partitionKey.charCodeAt(i) !== data[deviceStart + i]) return false;
  }
  return true;
}

/** `[reading, …]` at `at`, at least one; returns the index after `]`, or -1. */
function scanReadings(
  data: Uint8Array,
  at: number,
  rules: TelemetryRules,
  latestTs: Uint8Array,
  out: ScannedTelemetry,
): number {
  if (data[at] !== OPEN_BRACKET) return -1;
  // A second readings key was refused above: this is the only array of the record.
  let p = skipSpace(data, at + 1);
  for (;;) {
    out.ensure(out.count + 1);
    p = scanReading(data, p, rules, latestTs, out, out.count);
    if (p < 0) return -1;
    out.count += 1;
    p = skipSpace(data, p);
    const c = data[p];
    if (c === COMMA) p = skipSpace(data, p + 1);
    else if (c === CLOSE_BRACKET) return p + 1;
    else return -1;
  }
}

/** Reading `index` at `at` (its `{`); returns the index after its `}`, or -1. */
function scanReading(
  data: Uint8Array,
  at: number,
  rules: TelemetryRules,
  latestTs: Uint8Array,
  out: ScannedTelemetry,
  index: number,
): number {
  if (data[at] !== OPEN_BRACE) return -1;
  const fields = out.fields;
  const base = index * fields;
  let p = skipSpace(data, at + 1);
  let seen = 0;
  for (let slot = 0; ; slot += 1) {
    const key = readKey(data, p, rules.readingKeys, readingKeyOrder, slot);
    if (key < 0) return -1;
    p = valueAt;
    if ((seen & (1 << key)) !== 0) return -1;
    seen |= 1 << key;
    if (key >= FIRST_NUMBER_KEY) {
      const field = key - FIRST_NUMBER_KEY;
      const value = canonicalNumber(data, p);
      // NaN (not taken) fails both comparisons: test for the pass.
      if (!(value >= (rules.minimum[field] as number) && value <= (rules.maximum[field] as number)))
        return -1;
      out.numberStart[base + field] = p;
      out.numberEnd[base + field] = tokenEnd;
      out.value[base + field] = value;
    } else if (key === SEQ_KEY) {
      const seq = positiveSafeInteger(data, p);
      if (Number.isNaN(seq)) return -1;
      out.seq[index] = seq;
      out.seqStart[index] = p;
      out.seqEnd[index] = tokenEnd;
    } else if (key === TS_KEY) {
      const start = plainString(data, p);
      if (start < 0 || tokenEnd - 1 - start !== 24 || !isLandableTs(data, start, latestTs)) return -1;
      out.tsStart[index] = start;
    }
    p = skipSpace(data, tokenEnd);
    const c = data[p];
    if (c === COMMA) p = skipSpace(data, p + 1);
    else if (c === CLOSE_BRACE) break;
    else return -1;
  }
  if ((seen & rules.requiredReadingKeys) !== rules.requiredReadingKeys) return -1;
  for (let field = 0; field < fields; field += 1) {
    if ((seen & (1 << (FIRST_NUMBER_KEY + field))) === 0) out.numberStart[base + field] = -1;
  }
  out.readingStart[index] = at;
  out.readingEnd[index] = p + 1;
  return p + 1;
}

/**
 * The keys in the order the last record (reading) had them (-1: none yet). Records of a batch, and
 * readings of a record, write their keys in one order: the key the last one had in a place is
 * tried first, `"name":` compared in one go, before the general way.
 */
const envelopeKeyOrder = new Int8Array(16).fill(-1);
const readingKeyOrder = new Int8Array(32).fill(-1);

/** Where the value of the key readKey read starts. */
let valueAt = 0;

/** The index in `table` of the key at `at` (its quote) and sets valueAt; -1 for an unknown key. */
function readKey(data: Uint8Array, at: number, table: KeyTable, order: Int8Array, slot: number): number {
  const guess = slot < order.length ? (order[slot] as number) : -1;
  if (guess >= 0) {
    const quoted = table.keys[guess] as Uint8Array;
    if (hasQuotedKey(data, at, quoted)) {
      valueAt = skipSpace(data, at + quoted.length + 3);
      return guess;
    }
  }
  const keyStart = plainString(data, at);
  if (keyStart < 0) return -1;
  const key = table.indexOf(data, keyStart, tokenEnd - 1);
  if (key < 0) return -1;
  const colon = skipSpace(data, tokenEnd);
  if (data[colon] !== COLON) return -1;
  valueAt = skipSpace(data, colon + 1);
  if (slot < order.length) order[slot] = key;
  return key;
}

/** Whether data holds `"key":` at `at` (no space before the colon: the usual writer's form). */
function hasQuotedKey(data: Uint8Array, at: number, key: Uint8Array): boolean {
  if (data[at] !== QUOTE) return false;
  const start = at + 1;
  for (let i = 0; i < key.length; i += 1) if (data[start + i] !== key[i]) return false;
  return data[start + key.length] === QUOTE && data[start + key.length + 1] === COLON;
}

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const isLowerHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/** DEVICE_ID_PATTERN: `^[a-zA-Z0-9:_-]{1,128}$`. */
function isThingName(data: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > 128) return false;
  for (let p = start; p < end; p += 1) {
    const c = data[p] as number;
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x3a) || // 0-9 and ':'
      c === 0x5f ||
      c === 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** BOOT_ID_PATTERN: a lower-case UUID. */
function isUuid(data: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  for (let i = 0; i < 36; i += 1) {
    const c = data[start + i] as number;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!isLowerHex(c)) return false;
  }
  return true;
}

const TELEMETRY = new TextEncoder().encode('telemetry');

function isTelemetryType(data: Uint8Array, start: number, end: number): boolean {
  if (end - start !== TELEMETRY.length) return false;
  for (let i = 0; i < TELEMETRY.length; i += 1) if (data[start + i] !== TELEMETRY[i]) return false;
  return true;
}

const DIGIT = 0;
/** TS_PATTERN position by position: DIGIT, or the one character allowed. */
const TS_SHAPE = Uint8Array.from('0000-00-00T00:00:00.000Z', (c) => (c === '0' ? DIGIT : c.charCodeAt(0)));

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const two = (data: Uint8Array, at: number) =>
  ((data[at] as number) - 0x30) * 10 + ((data[at + 1] as number) - 0x30);

/**
 * The 24 bytes at `start` are TS_PATTERN (`YYYY-MM-DDTHH:MM:SS.mmmZ`), a real moment
 * (isRealIsoMillis: no month 13, 30 February or hour 24) and not after `latestTs`, which ISO texts
 * of this one form order as their moments do.
 */
function isLandableTs(data: Uint8Array, start: number, latestTs: Uint8Array): boolean {
  for (let i = 0; i < 24; i += 1) {
    const c = data[start + i] as number;
    const shape = TS_SHAPE[i] as number;
    if (shape === DIGIT ? c < 0x30 || c > 0x39 : c !== shape) return false;
  }
  const year = two(data, start) * 100 + two(data, start + 2);
  const month = two(data, start + 5);
  const day = two(data, start + 8);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (
    day > monthDays ||
    two(data, start + 11) > 23 ||
    two(data, start + 14) > 59 ||
    two(data, start + 17) > 59
  ) {
    return false;
  }
  for (let i = 0; i < 24; i += 1) {
    const c = data[start + i] as number;
    const limit = latestTs[i] as number;
    if (c !== limit) return c < limit;
  }
  return true;
}
