import { type Clock, delay, type Timers } from '../ports/clock.js';

/**
 * Sliding-window limiter: never more than `limit` acquisitions in any window of `windowMs`.
 * IoT Core throttles a connection above 100 publishes/s; a fixed per-second bucket could
 * still burst 2×limit across a second boundary, a sliding window cannot.
 */
export class SlidingWindowRateLimiter {
  private readonly stamps: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }

  /** Milliseconds until one more acquisition is allowed (0 = now). */
  waitMs(): number {
    const now = this.clock.now();
    while (this.stamps.length > 0 && (this.stamps[0] as number) <= now - this.windowMs) this.stamps.shift();
    if (this.stamps.length < this.limit) return 0;
    return (this.stamps[0] as number) + this.windowMs - now;
  }

  /** Waits for a slot and takes it. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitMs(); wait > 0; wait = this.waitMs()) {
      await delay(this.timers, wait, signal);
    }
    this.stamps.push(this.clock.now());
  }
}
