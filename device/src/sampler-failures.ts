import type { Logger } from './ports/logger.js';

/**
 * Logs a run of failures of one kind without flooding the journal at 1 Hz: the first failure
 * of a streak, then every `repeatEvery`-th with the streak length, and one line when it ends.
 * Counting every failure is the caller's job (it goes into health).
 */
export class FailureStreak {
  private streak = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly level: 'warn' | 'error',
    private readonly repeatEvery = 60,
  ) {}

  failed(error: unknown, context: Record<string, unknown> = {}): void {
    this.streak += 1;
    if (this.streak === 1) {
      this.logger[this.level]({ err: error, ...context }, `${this.what} failed`);
    } else if (this.streak % this.repeatEvery === 0) {
      this.logger[this.level]({ err: error, streak: this.streak, ...context }, `${this.what} still failing`);
    }
  }

  succeeded(): void {
    if (this.streak === 0) return;
    this.logger.info({ failures: this.streak }, `${this.what} recovered`);
    this.streak = 0;
  }
}
