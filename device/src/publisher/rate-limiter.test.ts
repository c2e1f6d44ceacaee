import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock, systemTimers } from '../ports/clock.js';
import { SlidingWindowRateLimiter } from './rate-limiter.js';

describe('SlidingWindowRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never allows more than the limit in any one-second window', async () => {
    const limiter = new SlidingWindowRateLimiter(5, 1000, systemClock, systemTimers);
    const stamps: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 23; i += 1) {
        await limiter.acquire();
        stamps.push(Date.now());
      }
    })();
    await vi.advanceTimersByTimeAsync(10_000);
    await run;
    expect(stamps).toHaveLength(23);
    for (const start of stamps) {
      const inWindow = stamps.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(5);
    }
    // And it does not wait longer than it has to: 23 slots at 5/s need just over 4 s.
    expect((stamps.at(-1) ?? 0) - (stamps[0] ?? 0)).toBe(4000);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new SlidingWindowRateLimiter(0, 1000, systemClock, systemTimers)).toThrow(
      /positive integer/,
    );
  });
});
