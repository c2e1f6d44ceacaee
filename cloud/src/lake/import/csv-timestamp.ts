/** `iso`: the time as the contract writes it, ISO-8601 UTC with milliseconds. */
export type TimestampResult = { ok: true; ms: number; iso: string } | { ok: false; reason: string };

// Date, time with seconds, an optional fraction (ISO-8601 allows '.' or ',' as the decimal sign;
// Python's logging writes ','), then the zone. 'T' or a space between date and time (RFC 3339 §5.6).
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const EPOCH = /^(\d+)(?:\.(\d+))?$/;

/**
 * Epoch numbers below this are seconds, from it on milliseconds. 10^11 s is the year 5138 and
 * 10^11 ms is 1973, both outside the import's plausible range, so no real value is ambiguous.
 */
export const EPOCH_SECONDS_BELOW = 1e11;

/**
 * Parses a CSV `ts` cell into epoch milliseconds (UTC). Accepts ISO-8601 with a zone and epoch
 * seconds or milliseconds (csv-format.ts); digits beyond the millisecond are dropped, not rounded,
 * so a time never moves into the next millisecond (or day).
 */
export function parseCsvTimestamp(text: string): TimestampResult {
  const contract = contractForm(text);
  if (contract !== undefined) return contract;
  const epoch = EPOCH.exec(text);
  if (epoch) return parseEpoch(epoch[1] as string, epoch[2] ?? '');
  const iso = ISO_8601.exec(text);
  if (!iso) {
    return {
      ok: false,
      reason: 'is neither an ISO-8601 date-time (2026-03-14T08:15:30.250Z) nor epoch time',
    };
  }
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] =
    iso as unknown as (string | undefined)[];
  if (zulu === undefined && sign === undefined) {
    return { ok: false, reason: 'has no time zone (add Z for UTC or an offset such as +01:00)' };
  }
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  // Range checks rather than a Date round trip: this runs once per line of files of millions.
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    return { ok: false, reason: 'is not a real date and time' };
  }
  let offsetMs = 0;
  if (sign !== undefined) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes ?? '0');
    if (oh > 23 || om > 59) return { ok: false, reason: 'has an impossible UTC offset' };
    offsetMs = (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const ms = utcMs(y, mo, d, h, mi, s) + millisOf(fraction ?? '') - offsetMs;
  return { ok: true, ms, iso: new Date(ms).toISOString() };
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ`, the contract's own form and nearly every line of a backfill, read by
 * character arithmetic: the same answer as the general rules below (import-timestamp.test pins the
 * two together) without a regex match and its dozen substrings per line. Undefined for any other
 * text.
 */
function contractForm(text: string): TimestampResult | undefined {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  ) {
    return undefined;
  }
  for (const at of DIGIT_POSITIONS) {
    const code = text.charCodeAt(at);
    if (code < 48 || code > 57) return undefined;
  }
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    return { ok: false, reason: 'is not a real date and time' };
  }
  return { ok: true, ms: utcMs(y, mo, d, h, mi, s) + digits(text, 20, 3), iso: text };
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let at = from; at < from + count; at += 1) value = value * 10 + text.charCodeAt(at) - 48;
  return value;
}

/** Epoch milliseconds of a UTC date and time; years 0-99 too (Date.UTC reads them as 1900-1999). */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (y >= 100) return ms;
  const date = new Date(ms);
  date.setUTCFullYear(y);
  return date.getTime();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

function parseEpoch(whole: string, fraction: string): TimestampResult {
  const value = Number(whole);
  // Milliseconds: a fraction of a millisecond is dropped like ISO digits beyond the millisecond.
  const ms = value < EPOCH_SECONDS_BELOW ? value * 1000 + millisOf(fraction) : value;
  // Past 8.64e15 ms (year 275760) a Date cannot hold it; the plausibility check refuses far less.
  if (!Number.isSafeInteger(ms) || ms > 8.64e15)
    return { ok: false, reason: 'is too large for epoch milliseconds' };
  return { ok: true, ms, iso: new Date(ms).toISOString() };
}

/** The first three digits of a decimal fraction of a second, as milliseconds. */
function millisOf(fraction: string): number {
  return fraction === '' ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
}
