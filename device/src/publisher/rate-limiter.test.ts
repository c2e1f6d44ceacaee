import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock, systemTimers } from '../ports/clock.js';
import { PublishRateLimiter } from './rate-limiter.js';

describe('PublishRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('with instant PUBACKs allows the limit per second and no more, without waiting longer than needed', async () => {
    const limiter = new PublishRateLimiter(5, 1000, systemClock, systemTimers);
    const stamps: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 23; i += 1) {
        const slot = await limiter.acquire();
        stamps.push(Date.now());
        slot.settle();
      }
    })();
    await vi.advanceTimersByTimeAsync(10_000);
    await run;
    expect(stamps).toHaveLength(23);
    for (const start of stamps) {
      expect(stamps.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
    }
    expect((stamps.at(-1) ?? 0) - (stamps[0] ?? 0)).toBe(4000);
  });

  it('serves every waiter, not only the last: the telemetry publisher and a jobs request waiting at once both proceed', async () => {
    const limiter = new PublishRateLimiter(1, 1000, systemClock, systemTimers);
    const held = await limiter.acquire();
    const granted: string[] = [];
    const waiter = (name: string) =>
      limiter.acquire().then((slot) => {
        granted.push(name);
        slot.settle();
      });
    const telemetry = waiter('telemetry');
    const jobs = waiter('jobs');

    held.settle();
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all([telemetry, jobs]);
    expect(granted.sort()).toEqual(['jobs', 'telemetry']);
  });

  it('counts a publish until a window after its PUBACK, so late confirmations delay the next', async () => {
    const limiter = new PublishRateLimiter(2, 1000, systemClock, systemTimers);
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    let third = false;
    void limiter.acquire().then(() => {
      third = true;
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(third).toBe(false); // both still in flight: nothing is confirmed yet

    first.settle(); // PUBACK at t=5000
    await vi.advanceTimersByTimeAsync(999);
    expect(third).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(third).toBe(true);
    second.settle();
  });

  it('bounds arrivals at the broker in every window, whatever the delivery delays', async () => {
    // Simulated network: each message arrives at a random time between hand-off and PUBACK.
    const limiter = new PublishRateLimiter(10, 1000, systemClock, systemTimers);
    const arrivals: number[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const run = (async () => {
      for (let i = 0; i < 200; i += 1) {
        const slot = await limiter.acquire();
        const ackInMs = Math.floor(random() * 300);
        const arriveInMs = Math.floor(random() * ackInMs);
        setTimeout(() => arrivals.push(Date.now()), arriveInMs);
        setTimeout(() => slot.settle(), ackInMs);
      }
    })();
    await vi.advanceTimersByTimeAsync(60_000);
    await run;
    expect(arrivals).toHaveLength(200);
    for (const start of arrivals) {
      expect(arrivals.filter((t) => t > start - 1000 && t <= start).length).toBeLessThanOrEqual(10);
    }
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new PublishRateLimiter(0, 1000, systemClock, systemTimers)).toThrow(/positive integer/);
  });
});
