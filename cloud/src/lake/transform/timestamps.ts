import type { LakeTimestamp } from '../rows.js';

// One definition of a real moment for every consumer: the shared contracts' check.
export { isRealIsoMillis } from '@coffee-iot/shared';

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
