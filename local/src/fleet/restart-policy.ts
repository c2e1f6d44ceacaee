export interface RestartOptions {
  /** Delay before the first restart; doubled for each further crash within the window. */
  minDelayMs: number;
  maxDelayMs: number;
  /** This many crashes within `windowMs` and the process is not restarted again. */
  maxCrashes: number;
  windowMs: number;
}

/** One minute allows 5 crashes: a fleet that keeps dying at start is given up on in ~15 s. */
export const DEFAULT_RESTART: RestartOptions = {
  minDelayMs: 1000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

export type RestartDecision =
  | { action: 'restart'; delayMs: number; recentCrashes: number }
  | { action: 'give-up'; recentCrashes: number };

/**
 * When to restart a crashed child: after a backoff that grows with the crashes of the last
 * window, and never again once they reach `maxCrashes` (a child that dies at every start would
 * otherwise be restarted forever, burning CPU and filling the log).
 */
export class RestartPolicy {
  private readonly crashes: number[] = [];

  constructor(private readonly options: RestartOptions) {
    const { minDelayMs, maxDelayMs, maxCrashes, windowMs } = options;
    if (!(minDelayMs > 0)) throw new RangeError(`minDelayMs must be > 0 (got ${minDelayMs})`);
    if (!(maxDelayMs >= minDelayMs))
      throw new RangeError(`maxDelayMs must be >= minDelayMs (got ${maxDelayMs})`);
    if (!(Number.isInteger(maxCrashes) && maxCrashes >= 1)) {
      throw new RangeError(`maxCrashes must be an integer >= 1 (got ${maxCrashes})`);
    }
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be > 0 (got ${windowMs})`);
  }

  get windowMs(): number {
    return this.options.windowMs;
  }

  crashed(nowMs: number): RestartDecision {
    this.crashes.push(nowMs);
    while ((this.crashes[0] as number) <= nowMs - this.options.windowMs) this.crashes.shift();
    const recentCrashes = this.crashes.length;
    if (recentCrashes >= this.options.maxCrashes) return { action: 'give-up', recentCrashes };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** (recentCrashes - 1));
    return { action: 'restart', delayMs, recentCrashes };
  }
}
