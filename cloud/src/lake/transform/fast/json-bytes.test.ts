import { describe, expect, it } from 'vitest';
import { canonicalNumber, plainString, positiveSafeInteger, tokenEnd } from './json-bytes.js';
import { randomSource } from './random-source.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** What a number token the fast path took must be: JSON.parse's value, JSON.stringify's text. */
function expectCanonical(text: string, value: number): void {
  const parsed = JSON.parse(text) as number;
  expect(Object.is(value, parsed), `${text}: ${value} is not JSON.parse's ${parsed}`).toBe(true);
  expect(JSON.stringify(parsed)).toBe(text);
}

describe('canonicalNumber', () => {
  it('takes numbers as JSON.stringify writes them, with JSON.parse’s value', () => {
    for (const text of [
      '0',
      '7',
      '-7',
      '31.01',
      '-0.5',
      '0.000001',
      '1012',
      '358.899',
      '-1600',
      '999999999999999',
      '0.1',
    ]) {
      const value = canonicalNumber(bytes(`${text},`), 0);
      expectCanonical(text, value);
      expect(tokenEnd).toBe(text.length);
    }
  });

  it('leaves every other spelling of a number to the slow path', () => {
    const others = [
      '-0',
      '1.0',
      '1.50',
      '01',
      '-01',
      '1e3',
      '1E3',
      '1e-7',
      '1e21',
      '0.0000001',
      '1234567890123456',
      '0.1234567890123456',
      '-',
      '.5',
      '1.',
      '+1',
      'NaN',
      'Infinity',
      '--1',
      '1e400',
      '1.2.3',
    ];
    for (const text of others) expect(canonicalNumber(bytes(text), 0), text).toBeNaN();
  });

  it('ends at the first byte that cannot continue a number: what follows is the caller’s to check', () => {
    expect(canonicalNumber(bytes('1x'), 0)).toBe(1);
    expect(tokenEnd).toBe(1);
    expect(canonicalNumber(bytes('0x10'), 0)).toBe(0);
    expect(tokenEnd).toBe(1);
  });

  it('holds for 20,000 random number texts: whatever it takes is canonical and exact', () => {
    const random = randomSource(16);
    let taken = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const text = random.numberText();
      const value = canonicalNumber(bytes(text), 0);
      if (Number.isNaN(value) || tokenEnd !== text.length) continue;
      taken += 1;
      expectCanonical(text, value);
    }
    // The generator writes plenty of canonical numbers: the property was tested, not skipped.
    expect(taken).toBeGreaterThan(5_000);
  });

  it('takes what a device sends: sensor values rounded to a few decimals and written by JSON.stringify', () => {
    const random = randomSource(17);
    for (let i = 0; i < 20_000; i += 1) {
      const value = Number(((random.next() - 0.5) * 3_000).toFixed(random.int(0, 6)));
      const text = JSON.stringify(value);
      expectCanonical(text, canonicalNumber(bytes(text), 0));
    }
  });
});

describe('positiveSafeInteger', () => {
  it('takes 1 to 2^53 - 1 written plainly and nothing else', () => {
    expect(positiveSafeInteger(bytes('1'), 0)).toBe(1);
    expect(positiveSafeInteger(bytes('9007199254740991}'), 0)).toBe(9_007_199_254_740_991);
    for (const text of [
      '0',
      '-1',
      '9007199254740992',
      '99999999999999999999',
      '1.0',
      '1e2',
      '01',
      '"1"',
      '',
    ]) {
      expect(positiveSafeInteger(bytes(text), 0), text).toBeNaN();
    }
  });
});

describe('plainString', () => {
  it('takes printable ASCII without escapes, and nothing else', () => {
    expect(plainString(bytes('"coffee-pi-1",'), 0)).toBe(1);
    expect(tokenEnd).toBe(13);
    for (const text of ['"a\\u0062"', '"a\\"b"', '"tab\there"', '"é"', '"no end', 'x"a"', '"\u007f"']) {
      expect(plainString(bytes(text), 0), text).toBe(-1);
    }
  });
});
