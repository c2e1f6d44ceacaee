import { describe, expect, it } from 'vitest';
import {
  DASH,
  formatAgo,
  formatClock,
  formatCount,
  formatDateTime,
  formatPercent,
  formatReading,
  parseTime,
} from './format.js';

describe('formatCount', () => {
  it('shows a dash for a number the device has not reported', () => {
    expect(formatCount(null)).toBe(DASH);
  });

  it('shows zero as 0, not as missing', () => {
    expect(formatCount(0)).toBe('0');
  });
});

describe('formatPercent', () => {
  it('reads "unknown" when nothing is known, never 0 %', () => {
    expect(formatPercent(null)).toBe('unknown');
  });

  it('rounds a ratio to a whole percentage', () => {
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(0.426)).toBe('43 %');
    expect(formatPercent(1)).toBe('100 %');
  });
});

describe('formatAgo', () => {
  const now = 1_700_000_000_000;

  it('counts seconds, minutes, hours and days', () => {
    expect(formatAgo(now - 3_400, now)).toBe('3 s ago');
    expect(formatAgo(now - 59_999, now)).toBe('59 s ago');
    expect(formatAgo(now - 60_000, now)).toBe('1 min ago');
    expect(formatAgo(now - 2 * 3_600_000, now)).toBe('2 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago');
  });

  it('reads "just now" for the current second and for a time slightly ahead', () => {
    expect(formatAgo(now - 500, now)).toBe('just now');
    expect(formatAgo(now + 2_000, now)).toBe('just now');
  });

  it('reads "never" for a device never seen', () => {
    expect(formatAgo(null, now)).toBe('never');
  });
});

describe('parseTime', () => {
  it('parses ISO 8601 and gives null for nothing or garbage', () => {
    expect(parseTime('2024-05-01T12:00:00.000Z')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseTime(null)).toBeNull();
    expect(parseTime('yesterday-ish')).toBeNull();
  });
});

describe('clock formats', () => {
  // Built from local time so the expectation holds in any time zone.
  const ms = new Date(2024, 0, 2, 3, 4, 5).getTime();

  it('pads hours, minutes and seconds', () => {
    expect(formatClock(ms)).toBe('03:04:05');
  });

  it('puts the day in front', () => {
    expect(formatDateTime(ms)).toBe('2024-01-02 03:04:05');
  });
});

describe('formatReading', () => {
  it('prints value and unit with fixed decimals', () => {
    expect(formatReading(21.449, 1, '°C')).toBe('21.4 °C');
  });

  it('shows a dash when there is no reading', () => {
    expect(formatReading(undefined, 1, '°C')).toBe(DASH);
    expect(formatReading(Number.NaN, 1, '%')).toBe(DASH);
  });
});
