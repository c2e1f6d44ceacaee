import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from '../ports/clock.js';

export type Level = 0 | 1;

export const DEFAULT_DEBOUNCE_MS = 50;

export interface DebounceOptions {
  /** A level must hold this long, with no further edge, to count. Default 50 ms; 0 = no debounce. */
  debounceMs?: number;
  /**
   * true (default): pressed reads 0 — the button connects the pin to ground and a pull-up holds
   * it high otherwise. false: pressed reads 1 (button to 3.3 V with a pull-down).
   */
  activeLow?: boolean;
  clock?: Clock;
  timers?: Timers;
  /** Called once per press, when the active level has been stable for `debounceMs`. */
  onPress: (atMs: number) => void;
}

export class DebounceConfigError extends Error {
  override readonly name = 'DebounceConfigError';
}

/**
 * Turns the raw edges of a bouncing contact into one press per push.
 *
 * Every edge (re)starts a quiet window of `debounceMs`; when the window passes with no further
 * edge, the level then read is the stable level. A press is recognised on the stable inactive →
 * active transition only, so a held button yields one press and a release yields none. The
 * press is stamped with the time of the burst's first edge (when the finger landed), not the
 * time it was recognised. A noise spike shorter than the window that ends at the idle level
 * yields nothing.
 *
 * Pure logic: no driver, time from the injected clock and timers.
 */
export class Debouncer {
  readonly debounceMs: number;
  readonly activeLow: boolean;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private stableLevel: Level;
  private latestLevel: Level;
  private burstStartedAtMs: number | null = null;
  private timer: TimerHandle | undefined;
  private disposed = false;

  constructor(private readonly options: DebounceOptions) {
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    if (!(Number.isFinite(this.debounceMs) && this.debounceMs >= 0 && this.debounceMs <= 10_000)) {
      throw new DebounceConfigError(`debounceMs must be between 0 and 10000 (got ${options.debounceMs})`);
    }
    this.activeLow = options.activeLow ?? true;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.stableLevel = this.idleLevel;
    this.latestLevel = this.stableLevel;
  }

  /** The level read while nothing is pressed. */
  get idleLevel(): Level {
    return this.activeLow ? 1 : 0;
  }

  /** Whether the debounced (stable) state is pressed. */
  get pressed(): boolean {
    return this.isActive(this.stableLevel);
  }

  isActive(level: Level): boolean {
    return level !== this.idleLevel;
  }

  /**
   * Sets the stable level without emitting: the level read when the pin is opened. A button held
   * (or a pin pulled the wrong way) at start therefore does not count as a press.
   */
  reset(level: Level): void {
    this.cancelTimer();
    this.stableLevel = level;
    this.latestLevel = level;
    this.burstStartedAtMs = null;
  }

  /** One edge report from the driver, with the level read after it. Repeated levels count as edges. */
  input(level: Level): void {
    if (this.disposed) return;
    this.latestLevel = level;
    if (this.burstStartedAtMs === null) this.burstStartedAtMs = this.clock.now();
    if (this.debounceMs === 0) {
      this.settle();
      return;
    }
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.settle();
    }, this.debounceMs);
  }

  /** Cancels a pending window; no press is emitted afterwards. */
  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
  }

  private settle(): void {
    const startedAtMs = this.burstStartedAtMs ?? this.clock.now();
    this.burstStartedAtMs = null;
    if (this.latestLevel === this.stableLevel) return;
    this.stableLevel = this.latestLevel;
    if (this.isActive(this.stableLevel)) this.options.onPress(startedAtMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
