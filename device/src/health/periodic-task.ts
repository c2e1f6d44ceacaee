import type { TimerHandle, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/**
 * Runs `task` every `periodMs` until stopped. A failing run is logged with `name` and the
 * schedule goes on: a broken status file must never stop health reporting, or vice versa.
 */
export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | null = null;
  private active = false;

  constructor(
    private readonly name: string,
    private periodMs: number,
    private readonly task: () => void | Promise<void>,
    private readonly timers: Timers,
    private readonly logger: Logger,
  ) {}

  start(runNow = false): void {
    if (this.active) return;
    this.active = true;
    if (runNow) this.run();
    else this.schedule();
  }

  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Changes the period at run time (the config shadow): a run already waiting is rescheduled one
   * new period from now, so a shorter period takes effect at once rather than after the old one.
   */
  setPeriodMs(periodMs: number): void {
    this.periodMs = periodMs;
    if (this.timer === undefined) return; // running now, or stopped: the next schedule() uses it
    this.timers.clearTimeout(this.timer);
    this.schedule();
  }

  private schedule(): void {
    if (!this.active) return;
    this.timer = this.timers.setTimeout(() => this.run(), this.periodMs);
  }

  private run(): void {
    this.timer = undefined;
    this.running = (async () => {
      try {
        await this.task();
      } catch (error) {
        this.logger.error({ err: error, task: this.name }, 'periodic task failed; will run again');
      }
    })().finally(() => {
      this.running = null;
      this.schedule();
    });
  }
}
