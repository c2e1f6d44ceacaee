import { COFFEE_COLUMNS, type LakeColumn, type LakeTableName, TELEMETRY_COLUMNS } from '../columns.js';
import { curatedPartitionKey, errorsPartitionKey, localPath, partitionPath } from '../layout.js';
import type { PartitionValues } from '../rows.js';
import { TelemetryColumns } from '../transform/telemetry-columns.js';
import type { ColumnTransformOutput } from '../transform.js';
import type { TransformOutput } from '../transform-types.js';
import { writeFileAtomically } from './atomic-file.js';
import { encodeColumns } from './column-batch.js';
import { encodeErrorLines } from './error-output.js';
import type { ParquetWriter } from './parquet-writer.js';
import { telemetryPartitionBatches } from './telemetry-column-batch.js';

/** A file written for a batch, by lake key, with how many rows (or refused records) it holds. */
export interface WrittenFile {
  readonly key: string;
  readonly table: LakeTableName | 'errors';
  readonly partition: string;
  readonly rows: number;
}

/** The last file failed: `key` is the one that did not make it. */
export class BatchFileError extends Error {
  override readonly name = 'BatchFileError';
  constructor(
    readonly key: string,
    readonly written: readonly WrittenFile[],
    options: ErrorOptions,
  ) {
    super(`could not write ${key}`, options);
  }
}

interface PartitionGroup<Row> {
  partition: PartitionValues;
  rows: readonly Row[];
}

function samePartition(a: PartitionValues, b: PartitionValues): boolean {
  return (
    a.ingest_hour === b.ingest_hour &&
    a.ingest_day === b.ingest_day &&
    a.ingest_month === b.ingest_month &&
    a.ingest_year === b.ingest_year
  );
}

/**
 * Rows by their ingest partition. A batch has one arrival time, so nearly always one group: then
 * the rows themselves, not a copy of the array. The partition strings of a batch's rows are the
 * same objects, so the comparison is cheap.
 */
function byPartition<Row extends PartitionValues>(rows: readonly Row[]): PartitionGroup<Row>[] {
  const first = rows[0];
  if (first === undefined) return [];
  let one = true;
  for (let i = 1; one && i < rows.length; i += 1) one = samePartition(first, rows[i] as Row);
  if (one) return [{ partition: partitionOf(first), rows }];
  const groups = new Map<string, { partition: PartitionValues; rows: Row[] }>();
  let current: { partition: PartitionValues; rows: Row[] } | undefined;
  for (const row of rows) {
    if (current === undefined || !samePartition(current.partition, row)) current = groupFor(groups, row);
    current.rows.push(row);
  }
  return [...groups.values()];
}

function partitionOf(row: PartitionValues): PartitionValues {
  return {
    ingest_year: row.ingest_year,
    ingest_month: row.ingest_month,
    ingest_day: row.ingest_day,
    ingest_hour: row.ingest_hour,
  };
}

function groupFor<Row extends PartitionValues>(
  groups: Map<string, { partition: PartitionValues; rows: Row[] }>,
  row: Row,
): { partition: PartitionValues; rows: Row[] } {
  const partition = partitionOf(row);
  const path = partitionPath(partition);
  let group = groups.get(path);
  if (group === undefined) {
    group = { partition, rows: [] };
    groups.set(path, group);
  }
  return group;
}

const TABLES: readonly { table: LakeTableName; columns: readonly LakeColumn[] }[] = [
  { table: 'telemetry', columns: TELEMETRY_COLUMNS },
  { table: 'coffees', columns: COFFEE_COLUMNS },
];

export interface BatchTarget {
  /** The directory the lake keys are under: the lake itself, or a replay's staging directory. */
  readonly root: string;
  readonly writer: ParquetWriter;
}

/**
 * One transformed batch into the lake layout under `target.root`: per table and ingest
 * partition one Parquet file `{stem}.parquet`, and the refused records in errors/ (partition of
 * `arrivedAt`) as `{stem}.json`. Parquet files of the batch are written concurrently.
 */
export async function writeBatchOutput(
  target: BatchTarget,
  stem: string,
  output: TransformOutput | ColumnTransformOutput,
  arrivedAt: Date,
  partitionOfRejected: PartitionValues,
): Promise<WrittenFile[]> {
  const jobs: { file: WrittenFile; write: () => Promise<void> }[] = [];
  for (const { table, columns } of TABLES) {
    const rows = output[table];
    if (rows instanceof TelemetryColumns) {
      for (const { partition, batch } of telemetryPartitionBatches(rows)) {
        const key = `${curatedPartitionKey(table, partition)}/${stem}.parquet`;
        jobs.push({
          file: { key, table, partition: partitionPath(partition), rows: batch.rowCount },
          write: () => target.writer.write(batch, localPath(target.root, key)),
        });
      }
      continue;
    }
    for (const group of byPartition(rows as readonly PartitionValues[])) {
      const key = `${curatedPartitionKey(table, group.partition)}/${stem}.parquet`;
      const batch = encodeColumns(columns, group.rows);
      jobs.push({
        file: { key, table, partition: partitionPath(group.partition), rows: group.rows.length },
        write: () => target.writer.write(batch, localPath(target.root, key)),
      });
    }
  }
  if (output.rejected.length > 0) {
    const key = `${errorsPartitionKey(partitionOfRejected)}/${stem}.json`;
    const body = encodeErrorLines(output.rejected, arrivedAt);
    jobs.push({
      file: {
        key,
        table: 'errors',
        partition: partitionPath(partitionOfRejected),
        rows: output.rejected.length,
      },
      write: () => writeFileAtomically(localPath(target.root, key), body),
    });
  }
  const results = await Promise.allSettled(jobs.map((job) => job.write()));
  const written = jobs.filter((_, i) => results[i]?.status === 'fulfilled').map((job) => job.file);
  const failed = results.findIndex((result) => result.status === 'rejected');
  if (failed !== -1) {
    const reason = (results[failed] as PromiseRejectedResult).reason;
    throw new BatchFileError((jobs[failed] as (typeof jobs)[number]).file.key, written, { cause: reason });
  }
  return jobs.map((job) => job.file);
}
