/**
 * The lake's timestamps (`YYYY-MM-DD HH:MM:SS.mmm`, UTC, rows.ts) as epoch milliseconds, NaN
 * when the text is not one. Character arithmetic: this runs once per reading on the write path,
 * where Date.parse would cost twice as much.
 */
const SEPARATORS: readonly [number, number][] = [
  [4, 0x2d], // -
  [7, 0x2d],
  [10, 0x20], // space
  [13, 0x3a], // :
  [16, 0x3a],
  [19, 0x2e], // .
];

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

export function lakeTimestampMillis(text: string): number {
  if (text.length !== 23) return Number.NaN;
  for (const [at, code] of SEPARATORS) if (text.charCodeAt(at) !== code) return Number.NaN;
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return Number.NaN;
  }
  const year = digits(text, 0, 4);
  const millis = Date.UTC(year, month - 1, day, hour, minute, second, digits(text, 20, 3));
  // Date.UTC reads years 0-99 as 1900-1999; the transform's rows are real moments otherwise
  // (it refuses 30 February and the like), so no roll-over check is needed here.
  return year >= 100 ? millis : new Date(millis).setUTCFullYear(year);
}

/**
 * lakeTimestampMillis for a column of timestamps in order: consecutive readings nearly always
 * share their minute, so only the seconds and milliseconds are read after the first of a
 * minute (a third of the full parse).
 */
export class LakeTimestampParser {
  /** `YYYY-MM-DD HH:MM:` of the last full parse, and that minute in epoch ms. */
  private minute = '';
  private minuteMillis = 0;

  parse(text: string): number {
    if (
      this.minute !== '' &&
      text.length === 23 &&
      text.startsWith(this.minute) &&
      text.charCodeAt(19) === 0x2e
    ) {
      const second = digits(text, 17, 2);
      const millis = digits(text, 20, 3);
      if (second <= 59) return this.minuteMillis + second * 1000 + millis; // NaN stays NaN
    }
    const millis = lakeTimestampMillis(text);
    if (!Number.isNaN(millis)) {
      this.minute = text.slice(0, 17);
      this.minuteMillis = millis - digits(text, 17, 2) * 1000 - digits(text, 20, 3);
    }
    return millis;
  }
}
