import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';

/** Injected clock and timers that move only when the test says so. */
export class ManualTime implements Clock, Timers {
  private nowMs: number;
  private nextId = 1;
  private readonly due = new Map<number, { atMs: number; callback: () => void }>();

  constructor(startMs = Date.parse('2026-12-07T12:00:00Z')) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.due.set(id, { atMs: this.nowMs + Math.max(0, ms), callback });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.due.delete(handle as unknown as number);
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.due.size;
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const [id, next] = [...this.due].sort((a, b) => a[1].atMs - b[1].atMs)[0] ?? [];
      if (id === undefined || !next || next.atMs > until) break;
      this.due.delete(id);
      this.nowMs = next.atMs;
      next.callback();
    }
    this.nowMs = until;
  }
}
