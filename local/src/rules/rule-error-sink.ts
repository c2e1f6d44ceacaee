import { type RuleErrorRecord, writeRuleErrors } from '@coffee-iot/cloud/lake';
import type { Logger } from '@coffee-iot/device';

/** Where the local rules put a message they refuse: the stand-in for a rule's error action. */
export interface RuleErrorSink {
  refuse(record: RuleErrorRecord): void;
}

export interface LakeRuleErrorsOptions {
  lakeDir: string;
  logger: Logger;
  /** How long refused messages gather before one file is written. */
  flushMs?: number;
  /** Refused messages held while the lake cannot be written; past this the oldest are dropped and counted. */
  maxPending?: number;
}

export interface LakeRuleErrorsCounters {
  /** Messages handed over by the rules. */
  refused: number;
  /** Of those, written to errors/rule/. */
  written: number;
  /** Writes that failed (their messages stay pending and are tried again). */
  failedWrites: number;
  /** Messages lost: the pending list was full, or the lake still failed at stop(). */
  dropped: number;
}

/**
 * The local rules' error action: refused messages into the lake's `errors/rule/` (AWS IoT's
 * error action message shape, cloud/src/lake/rule-errors.ts), in small batches. A failed write
 * keeps them for the next tick; nothing is let go without a count and a log line.
 */
export class LakeRuleErrors implements RuleErrorSink {
  readonly counters: LakeRuleErrorsCounters = { refused: 0, written: 0, failedWrites: 0, dropped: 0 };
  private pending: RuleErrorRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;

  constructor(private readonly options: LakeRuleErrorsOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushMs ?? 200);
  }

  refuse(record: RuleErrorRecord): void {
    this.counters.refused += 1;
    const maxPending = this.options.maxPending ?? 10_000;
    if (this.pending.length >= maxPending) {
      this.pending.shift();
      this.counters.dropped += 1;
      if (this.counters.dropped % 1000 === 1) {
        this.options.logger.error(
          { dropped: this.counters.dropped, maxPending },
          'lake errors/ cannot be written and the refused-message queue is full: dropping the oldest',
        );
      }
    }
    this.pending.push(record);
  }

  /** Writes what is pending now (after a write under way). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = writeRuleErrors(this.options.lakeDir, batch)
      .then(() => {
        this.counters.written += batch.length;
      })
      .catch((error: unknown) => {
        this.counters.failedWrites += 1;
        // In order, ahead of what arrived meanwhile, for the next tick.
        this.pending = batch.concat(this.pending);
        this.options.logger.error(
          { err: error, records: batch.length },
          'refused messages not written to the lake errors/; retrying',
        );
      })
      .finally(() => {
        this.writing = null;
      });
    await this.writing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    if (this.pending.length > 0) {
      this.counters.dropped += this.pending.length;
      this.options.logger.error(
        { records: this.pending.length },
        'stopped with refused messages the lake errors/ did not take; they are lost',
      );
      this.pending = [];
    }
  }
}
