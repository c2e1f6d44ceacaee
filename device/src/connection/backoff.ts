export interface BackoffPolicy {
  /** First retry delay ceiling, ms. */
  minMs: number;
  /** Largest retry delay, ms. */
  maxMs: number;
  /** A connection that stays up this long resets the backoff to minMs. */
  stableAfterMs: number;
}

/**
 * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the ceiling doubles per failed attempt up to maxMs and the delay is drawn from
 * [ceiling/2, ceiling]. Half the ceiling is always waited, so a broken broker or a bad
 * certificate never produces a hot loop, and the random half spreads a fleet's reconnects
 * after a broker outage.
 */
export class ExponentialBackoff {
  private failures = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt; each call counts one more failure. */
  nextDelayMs(): number {
    const ceiling = Math.min(this.policy.maxMs, this.policy.minMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** Failures counted since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
