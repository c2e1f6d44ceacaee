import type { Logger } from '../ports/logger.js';
import { FailureStreak } from '../sampler-failures.js';
import type { Digit, LedIcon, LedMatrix } from './led-port.js';

/**
 * The LEDs are decoration: a failing matrix must never stop a capture. Every call on the inner
 * matrix is awaited, and a failure (a rejection or a synchronous throw) is counted and logged —
 * the first of a streak, every 20th, and the recovery — and then swallowed.
 */
export class SafeLedMatrix implements LedMatrix {
  private failureCount = 0;
  private readonly streak: FailureStreak;

  constructor(
    private readonly inner: LedMatrix,
    logger: Logger,
  ) {
    this.streak = new FailureStreak(logger, 'LED update', 'warn', 20);
  }

  /** LED calls that failed since start: for health. */
  get failures(): number {
    return this.failureCount;
  }

  showDigit(digit: Digit): Promise<void> {
    return this.guard('digit', () => this.inner.showDigit(digit));
  }

  flash(): Promise<void> {
    return this.guard('flash', () => this.inner.flash());
  }

  showIcon(icon: LedIcon): Promise<void> {
    return this.guard('icon', () => this.inner.showIcon(icon), { icon });
  }

  clear(): Promise<void> {
    return this.guard('clear', () => this.inner.clear());
  }

  close(): Promise<void> {
    return this.guard('close', () => this.inner.close());
  }

  private async guard(
    op: string,
    call: () => Promise<void>,
    context: Record<string, unknown> = {},
  ): Promise<void> {
    try {
      await call();
      this.streak.succeeded();
    } catch (error) {
      this.failureCount += 1;
      this.streak.failed(error, { op, ...context, ledFailures: this.failureCount });
    }
  }
}
