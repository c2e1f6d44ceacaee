import type { Clock, TimerHandle, Timers } from '../ports/clock.js';

/** One granted publish; call `settle()` when its PUBACK arrives or the publish fails. */
export interface PublishSlot {
  settle(): void;
}

interface SlotState {
  /** Clock time the broker confirmed it (PUBACK) or it failed; null while in flight. */
  settledAtMs: number | null;
}

/**
 * Keeps the publishes the BROKER receives to at most `limit` in any window of `windowMs`
 * (IoT Core throttles a connection above 100 publishes/s).
 *
 * Counting at hand-off is not enough: the socket coalesces writes, so messages handed over
 * evenly can still arrive in bunches (measured: 104–106 per second at the broker with a
 * hand-off-time window). So a slot stays "in the window" until `windowMs` after its PUBACK.
 * A message arrives before its PUBACK comes back, so publish n is handed over only when
 * fewer than `limit` earlier messages were confirmed within the last window or are still in
 * flight — which bounds arrivals in every window, whatever the network does in between.
 */
export class PublishRateLimiter {
  private readonly slots: SlotState[] = [];
  /**
   * Everyone waiting for a slot: the telemetry and coffee publishers, health, and the connection's
   * services (shadow, jobs) may all wait at once, and a change wakes them all to look again. (A
   * single-waiter signal here lost all but the last: a jobs request arriving during a catch-up left
   * the telemetry publisher asleep for good.)
   */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }

  /** Publishes still in flight or confirmed within the last window. */
  get inWindow(): number {
    this.prune();
    return this.slots.length;
  }

  /** Waits until one more publish may be handed to the broker, and takes the slot. */
  async acquire(signal?: AbortSignal): Promise<PublishSlot> {
    for (;;) {
      signal?.throwIfAborted();
      this.prune();
      if (this.slots.length < this.limit) break;
      await this.waitForChange(signal);
    }
    const state: SlotState = { settledAtMs: null };
    this.slots.push(state);
    return {
      settle: () => {
        if (state.settledAtMs !== null) return;
        state.settledAtMs = this.clock.now();
        this.wakeAll();
      },
    };
  }

  private prune(): void {
    const horizon = this.clock.now() - this.windowMs;
    for (let i = this.slots.length - 1; i >= 0; i -= 1) {
      const settledAt = (this.slots[i] as SlotState).settledAtMs;
      if (settledAt !== null && settledAt <= horizon) this.slots.splice(i, 1);
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Sleeps until a slot settles, the earliest settled slot leaves the window, or `signal` aborts. */
  private async waitForChange(signal?: AbortSignal): Promise<void> {
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of this.slots) {
      if (slot.settledAtMs !== null) earliest = Math.min(earliest, slot.settledAtMs);
    }
    let timer: TimerHandle | undefined;
    let wake: () => void = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    signal?.addEventListener('abort', wake, { once: true });
    if (Number.isFinite(earliest)) {
      const waitMs = Math.max(0, earliest + this.windowMs - this.clock.now());
      timer = this.timers.setTimeout(wake, waitMs);
    }
    try {
      await woken;
    } finally {
      this.waiters.delete(wake);
      if (timer) this.timers.clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
    }
  }
}
