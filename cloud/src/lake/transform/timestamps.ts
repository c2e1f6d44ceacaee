import type { LakeTimestamp } from '../rows.js';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `at` as a number (the caller knows they are digits). */
function two(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Whether `YYYY-MM-DDTHH:MM:SS.mmmZ` (the contracts' form, which their schema patterns have
 * already checked digit by digit) names a real moment. The pattern lets month 13, 30 February or
 * hour 24 through, and such a value makes Athena's and Firehose's timestamp parsers fail a whole
 * file rather than one record. Plain character arithmetic: this runs once per reading, where
 * Date parsing would cost a third of the transform.
 */
export function isRealIsoMillis(iso: string): boolean {
  const year = two(iso, 0) * 100 + two(iso, 2);
  const month = two(iso, 5);
  const day = two(iso, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= monthDays && two(iso, 11) <= 23 && two(iso, 14) <= 59 && two(iso, 17) <= 59;
}

/** A checked `YYYY-MM-DDTHH:MM:SS.mmmZ` as the lake's `YYYY-MM-DD HH:MM:SS.mmm`. */
export function lakeTimestampOfIso(iso: string): LakeTimestamp {
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** A Date as the lake's timestamp (UTC, milliseconds). Throws RangeError for an invalid Date. */
export function lakeTimestampOfDate(at: Date): LakeTimestamp {
  const iso = at.toISOString();
  // Years past 9999 come out as "+010000-…": not a lake timestamp.
  if (iso.length !== 24) throw new RangeError(`${iso} is outside the years 0000–9999`);
  return lakeTimestampOfIso(iso);
}
