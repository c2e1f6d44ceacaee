import { describe, expect, it } from 'vitest';
import { ExponentialBackoff } from './backoff.js';

describe('ExponentialBackoff', () => {
  const policy = { minMs: 1000, maxMs: 60_000, stableAfterMs: 30_000 };

  it('doubles the ceiling per failure up to the maximum, always waiting at least half of it', () => {
    const low = new ExponentialBackoff(policy, () => 0);
    const high = new ExponentialBackoff(policy, () => 0.999_999);
    const lows = Array.from({ length: 10 }, () => low.nextDelayMs());
    const highs = Array.from({ length: 10 }, () => high.nextDelayMs());
    expect(lows).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(highs).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('starts over after a reset', () => {
    const backoff = new ExponentialBackoff(policy, () => 0.5);
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.nextDelayMs()).toBe(750);
  });
});
