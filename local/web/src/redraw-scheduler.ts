// Coalesces redraws: events may arrive 25 times a second (25 devices at 1 Hz), the page redraws
// what changed at most once per `minIntervalMs`, and only in an animation frame (so never while
// the tab is hidden). Timers are injected so the throttle is tested with fakes, not sleeps.

export interface SchedulerHooks {
  now(): number;
  requestFrame(callback: () => void): number;
  cancelFrame(handle: number): void;
  setTimer(callback: () => void, ms: number): number;
  clearTimer(handle: number): void;
}

export class RedrawScheduler<S> {
  private pending = new Set<S>();
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private timer: number | null = null;
  private frame: number | null = null;

  constructor(
    private readonly draw: (sections: ReadonlySet<S>) => void,
    private readonly minIntervalMs: number,
    private readonly hooks: SchedulerHooks,
  ) {}

  /** Marks `sections` for the next redraw and schedules it if none is scheduled. */
  invalidate(sections: Iterable<S>): void {
    for (const s of sections) this.pending.add(s);
    if (this.pending.size === 0 || this.timer !== null || this.frame !== null) return;
    const wait = this.lastDrawAt + this.minIntervalMs - this.hooks.now();
    if (wait > 0) {
      this.timer = this.hooks.setTimer(() => {
        this.timer = null;
        this.requestFrame();
      }, wait);
    } else {
      this.requestFrame();
    }
  }

  /** Cancels whatever is scheduled; pending sections are forgotten. */
  stop(): void {
    if (this.timer !== null) this.hooks.clearTimer(this.timer);
    if (this.frame !== null) this.hooks.cancelFrame(this.frame);
    this.timer = null;
    this.frame = null;
    this.pending.clear();
  }

  private requestFrame(): void {
    this.frame = this.hooks.requestFrame(() => {
      this.frame = null;
      this.lastDrawAt = this.hooks.now();
      const sections = this.pending;
      this.pending = new Set();
      this.draw(sections);
    });
  }
}
