import { TELEMETRY_COLUMNS } from '../columns.js';
import type { PartitionValues } from '../rows.js';
import type { TelemetryColumns } from '../transform/telemetry-columns.js';
import type { ColumnBatch, EncodedColumn } from './column-batch.js';

/** One partition's telemetry as the Parquet writer's batch. */
export interface TelemetryPartitionBatch {
  partition: PartitionValues;
  batch: ColumnBatch;
}

/**
 * The transform's telemetry columns as ColumnBatches, one per ingest partition, in the order
 * TELEMETRY_COLUMNS has them. A batch of one arrival has one partition: then its arrays are used
 * as they are (views of their first `rows` entries, nothing copied); several partitions (records
 * given with their own arrival times) are split row by row.
 */
export function telemetryPartitionBatches(columns: TelemetryColumns): TelemetryPartitionBatch[] {
  const n = columns.rows;
  if (n === 0) return [];
  const codes = columns.partitionCodes.subarray(0, n);
  if (columns.partitions.length === 1) {
    return [{ partition: columns.partitions[0] as PartitionValues, batch: batchOf(columns, n, undefined) }];
  }
  const batches: TelemetryPartitionBatch[] = [];
  columns.partitions.forEach((partition, code) => {
    const rows: number[] = [];
    for (let i = 0; i < n; i += 1) if (codes[i] === code) rows.push(i);
    if (rows.length > 0)
      batches.push({ partition, batch: batchOf(columns, rows.length, Int32Array.from(rows)) });
  });
  return batches;
}

/** The columns' first `n` rows, or the rows `pick` names. */
function batchOf(columns: TelemetryColumns, n: number, pick: Int32Array | undefined): ColumnBatch {
  const ints = (values: Int32Array) =>
    pick === undefined ? values.subarray(0, n) : pick.map((i) => values[i] as number);
  const doubles = (values: Float64Array) =>
    pick === undefined ? values.subarray(0, n) : Float64Array.from(pick, (i) => values[i] as number);
  const flags = (values: Uint8Array | undefined) =>
    values === undefined
      ? undefined
      : pick === undefined
        ? values.subarray(0, n)
        : Uint8Array.from(pick, (i) => values[i] as number);
  const [device, boot, seq, ts, ...rest] = TELEMETRY_COLUMNS;
  const numberColumns = rest.slice(0, -1);
  const ingest = rest[rest.length - 1];
  if (
    device === undefined ||
    boot === undefined ||
    seq === undefined ||
    ts === undefined ||
    ingest === undefined
  ) {
    throw new Error('TELEMETRY_COLUMNS lacks a column the lake writes');
  }
  const encoded: EncodedColumn[] = [
    { column: device, kind: 'text', codes: ints(columns.deviceCodes), dictionary: columns.deviceIds },
    { column: boot, kind: 'text', codes: ints(columns.bootCodes), dictionary: columns.bootIds },
    { column: seq, kind: 'number', values: doubles(columns.seq), nulls: undefined },
    { column: ts, kind: 'number', values: doubles(columns.ts), nulls: undefined },
    ...numberColumns.map(
      (column, k): EncodedColumn => ({
        column,
        kind: 'number',
        values: doubles(columns.numbers[k] as Float64Array),
        nulls: flags(columns.nulls[k]),
      }),
    ),
    { column: ingest, kind: 'number', values: doubles(columns.ingestTime), nulls: undefined },
  ];
  return { rowCount: n, columns: encoded };
}
