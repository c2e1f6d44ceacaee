// AWS mode's way of keeping up: there is no event stream behind API Gateway, so the page asks for
// the snapshot every 15 s. Each request waits for the previous one, so a slow API never piles up.
import type { DashboardSnapshot } from './api.js';

export const POLL_INTERVAL_MS = 15_000;

export interface SnapshotPollerOptions {
  fetchSnapshot(): Promise<DashboardSnapshot>;
  setTimer(callback: () => void, ms: number): number;
  clearTimer(handle: number): void;
  intervalMs?: number;
  /** Where a handler's own failure goes (default console.error); polling carries on regardless. */
  logError?: (message: string, error: unknown) => void;
}

export interface SnapshotPollerHandlers {
  onSnapshot(snapshot: DashboardSnapshot): void;
  /** The poll failed; the next one is already scheduled. */
  onFailure(error: unknown): void;
}

export class SnapshotPoller {
  private timer: number | null = null;
  /** Bumped on stop, so an answer to a request from before it is dropped. */
  private generation = 0;
  private running = false;

  constructor(
    private readonly options: SnapshotPollerOptions,
    private readonly handlers: SnapshotPollerHandlers,
  ) {}

  /** Polls at once, then every interval after each answer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.poll(this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer !== null) this.options.clearTimer(this.timer);
    this.timer = null;
  }

  private async poll(generation: number): Promise<void> {
    let snapshot: DashboardSnapshot | undefined;
    let failure: unknown;
    try {
      snapshot = await this.options.fetchSnapshot();
    } catch (error) {
      failure = error;
    }
    if (generation !== this.generation) return;
    this.timer = this.options.setTimer(() => {
      this.timer = null;
      void this.poll(generation);
    }, this.options.intervalMs ?? POLL_INTERVAL_MS);
    try {
      if (snapshot !== undefined) this.handlers.onSnapshot(snapshot);
      else this.handlers.onFailure(failure);
    } catch (error) {
      (this.options.logError ?? console.error)('a snapshot handler failed', error);
    }
  }
}

export interface PollStatus {
  /** Browser clock, epoch ms, of the last snapshot received; null before the first. */
  lastSuccessMs: number | null;
  /** Whether the latest poll failed. */
  failing: boolean;
}

/** The connection badge in AWS mode ("live" is kept for the local event stream). */
export function pollStateText(status: PollStatus, nowMs: number): string {
  if (status.failing) return 'offline';
  if (status.lastSuccessMs === null) return 'loading…';
  return `updated ${Math.max(0, Math.floor((nowMs - status.lastSuccessMs) / 1000))}s ago`;
}
