import type { TelemetryReading } from '@coffee-iot/shared';
import type { ReadingSpool, SpooledReading, SpoolStats } from '../spool/spool-port.js';
import { noCauseCounts } from '../spool/storage-cause.js';

/**
 * In-memory ReadingSpool for unit tests of the publisher: same ordering and acknowledge
 * semantics as the SQLite spool, no durability and no caps.
 */
export class MemorySpool implements ReadingSpool {
  private readonly rows = new Map<number, SpooledReading>();
  private lastSeq = 0;

  append(reading: Omit<TelemetryReading, 'seq'>, bootId: string): TelemetryReading {
    this.lastSeq += 1;
    const full: TelemetryReading = { seq: this.lastSeq, ...reading };
    this.rows.set(this.lastSeq, {
      seq: this.lastSeq,
      takenAtMs: Date.parse(reading.ts),
      bootId,
      json: JSON.stringify(full),
    });
    return full;
  }

  readAfter(afterSeq: number, limit: number): SpooledReading[] {
    return [...this.rows.values()].filter((row) => row.seq > afterSeq).slice(0, limit);
  }

  acknowledge(seqs: readonly number[]): void {
    for (const seq of seqs) this.rows.delete(seq);
  }

  enforceLimits(): number {
    return 0;
  }

  stats(): SpoolStats {
    const first = this.rows.values().next().value as SpooledReading | undefined;
    let bytes = 0;
    for (const row of this.rows.values()) bytes += row.json.length;
    return {
      depth: this.rows.size,
      bytes,
      oldestTakenAtMs: first?.takenAtMs ?? null,
      dropped: 0,
      lastSeq: this.lastSeq,
      unstored: noCauseCounts(),
      failing: null,
    };
  }

  close(): void {}
}
