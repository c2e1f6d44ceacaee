import { TelemetryColumns } from '../transform/telemetry-columns.js';

/**
 * Telemetry columns kept from batch to batch (one per batch in flight is enough): a batch of
 * 30,000 readings fills about 6 MB of typed arrays, which a fresh set per batch would grow by
 * doubling, zero and leave to the garbage collector.
 */
export class TelemetryColumnPool {
  private readonly free: TelemetryColumns[] = [];

  /**
   * @param keep columns kept for reuse
   * @param keepRows the largest kept: a rare huge batch is not held on to for ever
   */
  constructor(
    private readonly keep = 4,
    private readonly keepRows = 1 << 20,
  ) {}

  /** Empty columns, yours until you give them back. */
  take(): TelemetryColumns {
    return this.free.pop() ?? new TelemetryColumns();
  }

  /** Gives columns back once nothing reads them any more (their Parquet is written or failed). */
  give(columns: TelemetryColumns): void {
    if (this.free.length >= this.keep || columns.capacityRows > this.keepRows) return;
    columns.clear();
    this.free.push(columns);
  }
}
