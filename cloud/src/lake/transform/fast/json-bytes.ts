/**
 * The JSON tokens the telemetry fast path reads straight from a record's bytes, each accepted only
 * in the form that leaves no doubt about what JSON.parse would make of it; anything else is
 * "not taken" (the caller falls back to JSON.parse and the schema validator, which decide).
 *
 * Results go through module variables (`tokenEnd`) rather than objects: this runs some thirty
 * times per reading, and an object per token is what the fast path exists to avoid.
 */

/** Where the last token read ended (the index after it). */
export let tokenEnd = 0;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** The index of the first byte at or after `at` that is not JSON whitespace. */
export function skipSpace(data: Uint8Array, at: number): number {
  let p = at;
  for (;;) {
    const c = data[p];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return p;
    p += 1;
  }
}

/**
 * A string at `at` (its opening quote) made only of printable ASCII without escapes: what JSON.parse
 * turns into the very same characters. Returns the index of its first character and sets
 * tokenEnd past its closing quote; -1 (not taken) for an escape, a control character, any non-ASCII
 * byte (UTF-8 is then the slow path's to check) or no closing quote.
 */
export function plainString(data: Uint8Array, at: number): number {
  if (data[at] !== QUOTE) return -1;
  const start = at + 1;
  for (let p = start; p < data.length; p += 1) {
    const c = data[p] as number;
    if (c === QUOTE) {
      tokenEnd = p + 1;
      return start;
    }
    if (c === BACKSLASH || c < 0x20 || c > 0x7e) return -1;
  }
  return -1;
}

// 10^k for k ≤ 22 are exact doubles: a mantissa below 2^53 divided by one is correctly rounded,
// the same double JSON.parse gives for the decimal text (Clinger's fast path).
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Significant digits a decimal may have and still be the shortest text of its double. */
const MAX_DIGITS = 15;
/** Zeros after "0." before the first digit at most: from 1e-7 on, JavaScript writes an exponent. */
const MAX_LEADING_FRACTION_ZEROS = 5;

/**
 * A number at `at` whose text is exactly what JSON.stringify writes for its value, so that the text
 * can be copied into the output as it is: `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`, at most 15
 * significant digits (a decimal of at most 15 digits is the shortest text of its double: no other
 * one of as many digits reads as the same double), no exponent, not `-0`, not below 1e-6 in size.
 * Returns its value (exactly JSON.parse's) and sets tokenEnd after it; NaN (not taken) otherwise:
 * `1.50`, `1e3`, `-0`, `0.0000001` and `12345678901234567` are all valid JSON, and all left to the
 * slow path.
 */
export function canonicalNumber(data: Uint8Array, at: number): number {
  let p = at;
  const negative = data[p] === MINUS;
  if (negative) p += 1;
  let c = data[p] ?? 0;
  if (c < ZERO || c > NINE) return Number.NaN;
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  if (c === ZERO) {
    p += 1;
  } else {
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits += 1;
      p += 1;
      c = data[p] ?? 0;
    }
  }
  c = data[p] ?? 0;
  if (c === DOT) {
    p += 1;
    c = data[p] ?? 0;
    if (c < ZERO || c > NINE) return Number.NaN;
    let leadingZeros = 0;
    while (c >= ZERO && c <= NINE) {
      if (digits === 0 && c === ZERO) leadingZeros += 1;
      else {
        mantissa = mantissa * 10 + (c - ZERO);
        digits += 1;
      }
      fractionDigits += 1;
      p += 1;
      c = data[p] ?? 0;
    }
    // A trailing zero (1.50) is not how JavaScript writes the number.
    if (data[p - 1] === ZERO) return Number.NaN;
    if (leadingZeros > MAX_LEADING_FRACTION_ZEROS) return Number.NaN;
  } else if (digits === 0 && negative) {
    return Number.NaN; // -0: JSON.stringify writes 0
  }
  // An exponent, or a number glued to what follows (JSON.parse refuses "1x"; let it say so).
  if (c === 0x65 || c === 0x45 || (c >= ZERO && c <= NINE) || c === DOT) return Number.NaN;
  if (digits > MAX_DIGITS) return Number.NaN;
  tokenEnd = p;
  const value = mantissa / (POWERS_OF_TEN[fractionDigits] as number);
  return negative ? -value : value;
}

/**
 * A sequence number: a positive integer of at most 2^53 - 1 written as JSON.stringify writes it
 * (`[1-9][0-9]*`). Returns it and sets tokenEnd; NaN (not taken) otherwise, `0` and `1.0` among them.
 */
export function positiveSafeInteger(data: Uint8Array, at: number): number {
  let p = at;
  let c = data[p] ?? 0;
  if (c <= ZERO || c > NINE) return Number.NaN;
  let value = 0;
  while (c >= ZERO && c <= NINE) {
    value = value * 10 + (c - ZERO);
    p += 1;
    c = data[p] ?? 0;
  }
  // Past 2^53 the sum may round, but never back below it: too large either way.
  if (value > Number.MAX_SAFE_INTEGER) return Number.NaN;
  if (c === DOT || c === 0x65 || c === 0x45) return Number.NaN;
  tokenEnd = p;
  return value;
}

/** Whether data[start, end) holds exactly the ASCII text `text`. */
export function bytesEqual(data: Uint8Array, start: number, end: number, text: Uint8Array): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i += 1) if (data[start + i] !== text[i]) return false;
  return true;
}
