import type { Clock, TimerHandle, Timers } from '@coffee-iot/device';

/**
 * One timer per IN_PROGRESS execution with a step timeout, on injected timers and clock so
 * tests move time by hand. Rescheduling an execution replaces its timer.
 */
export class StepTimeouts {
  private readonly handles = new Map<string, { atMs: number; handle: TimerHandle }>();

  constructor(
    private readonly timers: Timers,
    private readonly clock: Clock,
    private readonly onTimeout: (key: string) => void,
  ) {}

  /** Fires `onTimeout(key)` at `atMs` (epoch ms), at once when that has passed. */
  schedule(key: string, atMs: number): void {
    const existing = this.handles.get(key);
    if (existing?.atMs === atMs) return;
    this.cancel(key);
    const handle = this.timers.setTimeout(
      () => {
        this.handles.delete(key);
        this.onTimeout(key);
      },
      Math.max(0, atMs - this.clock.now()),
    );
    this.handles.set(key, { atMs, handle });
  }

  cancel(key: string): void {
    const existing = this.handles.get(key);
    if (existing === undefined) return;
    this.timers.clearTimeout(existing.handle);
    this.handles.delete(key);
  }

  /** The keys with a timer, so a caller can drop the ones no longer wanted. */
  keys(): string[] {
    return [...this.handles.keys()];
  }

  clear(): void {
    for (const key of this.keys()) this.cancel(key);
  }
}
