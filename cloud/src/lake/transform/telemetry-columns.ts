import { TELEMETRY_COLUMNS } from '../columns.js';
import { partitionPath } from '../layout.js';
import { lakeTimestampMillis } from '../local/lake-timestamp.js';
import type { PartitionValues, TelemetryRow } from '../rows.js';
import type { IngestColumns } from './ingest-columns.js';

/** The number columns between ts and ingest_time (temperature … mag_z), in TELEMETRY_COLUMNS order. */
export const NUMBER_COLUMNS = TELEMETRY_COLUMNS.slice(4, -1).map((column) => column.name);
const REQUIRED = TELEMETRY_COLUMNS.slice(4, -1).map((column) => column.required);

/** A telemetry row that cannot be stored: a bug upstream, never data to write silently. */
export class TelemetryColumnError extends TypeError {
  override readonly name = 'TelemetryColumnError';
}

/**
 * A batch's telemetry rows stored column by column, as the transform makes them: no object per
 * row (the lake's Parquet writer reads these arrays as they are). Device and boot ids are
 * dictionary codes (1-based, as DuckDB's list index), timestamps epoch milliseconds, the ingest
 * partition a code per row into `partitions`. The arrays are longer than `rows` (they grow by
 * doubling): only [0, rows) is data.
 */
export class TelemetryColumns {
  rows = 0;
  deviceCodes = new Int32Array(0);
  bootCodes = new Int32Array(0);
  seq = new Float64Array(0);
  ts = new Float64Array(0);
  ingestTime = new Float64Array(0);
  partitionCodes = new Int32Array(0);
  /** One per NUMBER_COLUMNS entry. */
  numbers: Float64Array[] = NUMBER_COLUMNS.map(() => new Float64Array(0));
  /** Per number column, 1 where the value is NULL; allocated when the column has its first NULL. */
  nulls: (Uint8Array | undefined)[] = NUMBER_COLUMNS.map(() => undefined);
  readonly deviceIds: string[] = [];
  readonly bootIds: string[] = [];
  readonly partitions: PartitionValues[] = [];
  private capacity = 0;
  private readonly deviceCodeOf = new Map<string, number>();
  private readonly bootCodeOf = new Map<string, number>();
  private readonly partitionCodeOf = new Map<string, number>();
  private lastIngest: IngestColumns | undefined;
  private lastIngestMs = 0;
  private lastPartition = 0;
  private rowTs = new RowTimestamps();

  /** Rows the arrays hold without growing. */
  get capacityRows(): number {
    return this.capacity;
  }

  /**
   * Empties it for another batch, keeping the arrays: a batch's columns are tens of MB a
   * second, which a fresh set per batch would have zeroed and then collected. Nothing may read
   * the previous rows after this.
   */
  clear(): void {
    for (const flags of this.nulls) flags?.fill(0, 0, this.rows);
    this.rows = 0;
    this.deviceIds.length = 0;
    this.bootIds.length = 0;
    this.partitions.length = 0;
    this.deviceCodeOf.clear();
    this.bootCodeOf.clear();
    this.partitionCodeOf.clear();
    this.lastIngest = undefined;
  }

  /** Room for `extra` more rows. */
  reserve(extra: number): void {
    const needed = this.rows + extra;
    if (needed <= this.capacity) return;
    const capacity = Math.max(needed, this.capacity * 2, 1024);
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.rows));
      return next;
    };
    const ints = (n: number) => new Int32Array(n);
    const doubles = (n: number) => new Float64Array(n);
    this.deviceCodes = grow(this.deviceCodes, ints);
    this.bootCodes = grow(this.bootCodes, ints);
    this.seq = grow(this.seq, doubles);
    this.ts = grow(this.ts, doubles);
    this.ingestTime = grow(this.ingestTime, doubles);
    this.partitionCodes = grow(this.partitionCodes, ints);
    this.numbers = this.numbers.map((values) => grow(values, doubles));
    this.nulls = this.nulls.map((flags) =>
      flags === undefined ? undefined : grow(flags, (n) => new Uint8Array(n)),
    );
    this.capacity = capacity;
  }

  /** The 1-based code of a device id (one lookup per record, not per reading). */
  deviceCode(deviceId: string): number {
    return codeIn(this.deviceCodeOf, this.deviceIds, deviceId);
  }

  bootCode(bootId: string): number {
    return codeIn(this.bootCodeOf, this.bootIds, bootId);
  }

  /**
   * Sets ingestMs and partitionCode for a record's ingest columns: computed once per arrival
   * (ingestColumnsOf hands out one object per millisecond).
   */
  useIngest(ingest: IngestColumns): void {
    if (ingest === this.lastIngest) return;
    const ms = lakeTimestampMillis(ingest.ingest_time);
    if (Number.isNaN(ms))
      throw new TelemetryColumnError(`ingest_time ${ingest.ingest_time} is not a lake timestamp`);
    const partition: PartitionValues = {
      ingest_year: ingest.ingest_year,
      ingest_month: ingest.ingest_month,
      ingest_day: ingest.ingest_day,
      ingest_hour: ingest.ingest_hour,
    };
    const path = partitionPath(partition);
    let code = this.partitionCodeOf.get(path);
    if (code === undefined) {
      code = this.partitions.length;
      this.partitions.push(partition);
      this.partitionCodeOf.set(path, code);
    }
    this.lastIngest = ingest;
    this.lastIngestMs = ms;
    this.lastPartition = code;
  }

  get ingestMs(): number {
    return this.lastIngestMs;
  }

  get partitionCode(): number {
    return this.lastPartition;
  }

  /** Marks number column `k` NULL at `row`. */
  setNull(k: number, row: number): void {
    let flags = this.nulls[k];
    if (flags === undefined) {
      flags = new Uint8Array(this.capacity);
      this.nulls[k] = flags;
    }
    flags[row] = 1;
  }

  /** Appends a row object (the general path's): the same values the row would be written with. */
  appendRow(row: TelemetryRow, ingest: IngestColumns): void {
    this.reserve(1);
    this.useIngest(ingest);
    const i = this.rows;
    const ts = this.rowTs.parse(row.ts);
    if (Number.isNaN(ts)) throw new TelemetryColumnError(`row ${i}: ts ${row.ts} is not a lake timestamp`);
    if (!Number.isSafeInteger(row.seq))
      throw new TelemetryColumnError(`row ${i}: seq ${row.seq} is not an integer`);
    this.deviceCodes[i] = this.deviceCode(row.device_id);
    this.bootCodes[i] = this.bootCode(row.boot_id);
    this.seq[i] = row.seq;
    this.ts[i] = ts;
    this.ingestTime[i] = this.lastIngestMs;
    this.partitionCodes[i] = this.lastPartition;
    const values = row as unknown as Record<string, number | null>;
    NUMBER_COLUMNS.forEach((name, k) => {
      const value = values[name];
      if (typeof value === 'number') (this.numbers[k] as Float64Array)[i] = value;
      else if (value === null && !REQUIRED[k]) this.setNull(k, i);
      else throw new TelemetryColumnError(`row ${i}: ${name} cannot be ${JSON.stringify(value)}`);
    });
    this.rows = i + 1;
  }
}

function codeIn(codes: Map<string, number>, dictionary: string[], text: string): number {
  let code = codes.get(text);
  if (code === undefined) {
    dictionary.push(text);
    code = dictionary.length;
    codes.set(text, code);
  }
  return code;
}

/** lakeTimestampMillis with the last text remembered (a record's readings are close together). */
class RowTimestamps {
  private last = '';
  private lastMs = Number.NaN;

  parse(text: string): number {
    if (text !== this.last) {
      this.last = text;
      this.lastMs = lakeTimestampMillis(text);
    }
    return this.lastMs;
  }
}
