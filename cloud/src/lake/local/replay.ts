import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LakeTableName } from '../columns.js';
import { curatedPartitionKey, errorsPartitionKey, localPath } from '../layout.js';
import type { CoffeeRow, TelemetryRow } from '../rows.js';
import { emptyTransformOutput, SeenReadings, transformIngestRecords } from '../transform.js';
import { writeBatchOutput } from './batch-output.js';
import { hoursTouched, type IngestHour, type TimeWindow } from './hour-window.js';
import { ParquetWriter } from './parquet-writer.js';
import {
  commitStaging,
  createStaging,
  discardStaging,
  type PlannedPartition,
  recoverInterruptedReplays,
  type Staging,
} from './partition-swap.js';
import { listRawFiles, type RawFile, readRawFile } from './raw-archive.js';

export interface ReplayOptions {
  /**
   * Rows per curated Parquet file at most: a replayed hour is written as few large files
   * (replay compacts), in pieces of this size to bound memory. Default 200,000.
   */
  rowsPerFile?: number;
}

/** Rows a partition held: before the replay (null: no such partition) and after it. */
export interface PartitionCounts {
  before: number | null;
  after: number;
}

/** One ingest hour the replay rebuilt. */
export interface ReplayedHour {
  /** The hour's start, ISO-8601 UTC. */
  hour: string;
  /** `ingest_year=…/…/ingest_hour=HH` */
  partition: string;
  rawFiles: number;
  records: number;
  telemetry: PartitionCounts;
  coffees: PartitionCounts;
  /** Refused records, in errors/. */
  errors: PartitionCounts;
  duplicateReadings: number;
  duplicateCoffees: number;
}

export interface ReplayReport {
  from: string;
  to: string;
  hours: ReplayedHour[];
  /** Partitions in the window that have no raw archive to rebuild them from: left as they are. */
  keptWithoutRaw: string[];
  totals: {
    rawFiles: number;
    records: number;
    telemetryRows: number;
    coffeeRows: number;
    rejected: number;
    duplicateReadings: number;
    duplicateCoffees: number;
  };
}

const TABLES: readonly LakeTableName[] = ['telemetry', 'coffees'];
const DEFAULT_ROWS_PER_FILE = 200_000;

async function listOrEmpty(dir: string): Promise<string[] | null> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Rows in a partition directory: Parquet row counts from the file footers (DuckDB reads only
 * the metadata for count(*)), lines in the errors files. null when the partition does not exist.
 */
async function countPartition(
  writer: ParquetWriter,
  root: string,
  key: string,
  kind: 'parquet' | 'errors',
): Promise<number | null> {
  const dir = localPath(root, key);
  const names = await listOrEmpty(dir);
  if (names === null) return null;
  let count = 0;
  for (const name of names) {
    if (kind === 'parquet' && name.endsWith('.parquet') && !name.startsWith('.')) {
      count += await writer.countParquetRows(join(dir, name));
    } else if (kind === 'errors' && name.endsWith('.json') && !name.startsWith('.')) {
      const text = await readFile(join(dir, name), 'utf8');
      count += text.split('\n').filter((line) => line !== '').length;
    }
  }
  return count;
}

interface HourBuild {
  hour: IngestHour;
  files: RawFile[];
  telemetry: TelemetryRow[];
  coffees: CoffeeRow[];
  /** The stem of the first raw file whose rows are in the arrays: names the next curated file. */
  pendingStem: string | undefined;
  records: number;
  rows: { telemetry: number; coffees: number; errors: number };
  duplicateReadings: number;
  duplicateCoffees: number;
}

/**
 * Rebuilds the curated partitions (telemetry and coffees) and errors/ of every ingest hour in
 * `window` from the raw archive, replacing them (partition-swap.ts: a partition is either all
 * old or all new). The transform is the live one, with each record's arrival time from its raw
 * file name, so an unchanged transform over an unchanged archive gives the same rows; running it
 * twice gives the same files. Duplicates are dropped across the whole window, in arrival order,
 * as a live lake running through it would. Hours without raw files are left untouched.
 */
export async function replayFromRaw(
  lakeDir: string,
  window: TimeWindow,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const root = resolve(lakeDir);
  const rowsPerFile = options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE;
  await recoverInterruptedReplays(root);
  const rawFiles = await listRawFiles(root, window);
  const builds = new Map<string, HourBuild>();
  for (const hour of hoursTouched(window)) {
    builds.set(hour.path, {
      hour,
      files: [],
      telemetry: [],
      coffees: [],
      pendingStem: undefined,
      records: 0,
      rows: { telemetry: 0, coffees: 0, errors: 0 },
      duplicateReadings: 0,
      duplicateCoffees: 0,
    });
  }
  for (const file of rawFiles) {
    // raw/{partition path}/{name}: listRawFiles found it under an hour of the window.
    builds.get(file.key.slice(file.key.indexOf('/') + 1, file.key.lastIndexOf('/')))?.files.push(file);
  }

  const writer = await ParquetWriter.open();
  let staging: Staging | undefined;
  try {
    staging = await createStaging(root);
    const target = { root: staging.newRoot, writer };
    const seenReadings = new SeenReadings();
    const seenCoffees = new Set<string>();

    const flush = async (build: HourBuild) => {
      if (build.pendingStem === undefined) return;
      await writeBatchOutput(
        target,
        build.pendingStem,
        { ...emptyTransformOutput(), telemetry: build.telemetry, coffees: build.coffees },
        build.hour.start,
        build.hour.partition,
      );
      build.telemetry = [];
      build.coffees = [];
      build.pendingStem = undefined;
    };

    for (const build of builds.values()) {
      for (const file of build.files) {
        const inputs = await readRawFile(file);
        // Archived records older than the rule's `thing` field keep the device they landed with.
        const output = transformIngestRecords(inputs, { seenReadings, seenCoffees, acceptUnvouched: true });
        build.records += inputs.length;
        build.duplicateReadings += output.duplicateReadings;
        build.duplicateCoffees += output.duplicateCoffees;
        build.rows.telemetry += output.telemetry.length;
        build.rows.coffees += output.coffees.length;
        build.rows.errors += output.rejected.length;
        if (output.rejected.length > 0) {
          await writeBatchOutput(
            target,
            file.stem,
            { ...output, telemetry: [], coffees: [] },
            file.arrivedAt,
            build.hour.partition,
          );
        }
        if (output.telemetry.length + output.coffees.length > 0) build.pendingStem ??= file.stem;
        for (const row of output.telemetry) build.telemetry.push(row);
        for (const row of output.coffees) build.coffees.push(row);
        if (build.telemetry.length + build.coffees.length >= rowsPerFile) await flush(build);
      }
      await flush(build);
    }

    const plan: PlannedPartition[] = [];
    const hours: ReplayedHour[] = [];
    const keptWithoutRaw: string[] = [];
    for (const build of builds.values()) {
      const keys = {
        telemetry: curatedPartitionKey('telemetry', build.hour.partition),
        coffees: curatedPartitionKey('coffees', build.hour.partition),
        errors: errorsPartitionKey(build.hour.partition),
      };
      const before = {
        telemetry: await countPartition(writer, root, keys.telemetry, 'parquet'),
        coffees: await countPartition(writer, root, keys.coffees, 'parquet'),
        errors: await countPartition(writer, root, keys.errors, 'errors'),
      };
      if (build.files.length === 0) {
        for (const [name, key] of Object.entries(keys)) {
          if (before[name as keyof typeof before] !== null) keptWithoutRaw.push(key);
        }
        continue;
      }
      for (const table of TABLES) plan.push({ key: keys[table], hasNew: build.rows[table] > 0 });
      plan.push({ key: keys.errors, hasNew: build.rows.errors > 0 });
      hours.push({
        hour: build.hour.start.toISOString(),
        partition: build.hour.path,
        rawFiles: build.files.length,
        records: build.records,
        telemetry: { before: before.telemetry, after: build.rows.telemetry },
        coffees: { before: before.coffees, after: build.rows.coffees },
        errors: { before: before.errors, after: build.rows.errors },
        duplicateReadings: build.duplicateReadings,
        duplicateCoffees: build.duplicateCoffees,
      });
    }

    // From here the replay is committed: its staging is never thrown away, a failure half-way
    // through the swap is finished by the next replay or the next LocalLake.open().
    const committing = staging;
    staging = undefined;
    await commitStaging(root, committing, plan);
    return {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      hours,
      keptWithoutRaw,
      totals: {
        rawFiles: rawFiles.length,
        records: sum(hours, (h) => h.records),
        telemetryRows: sum(hours, (h) => h.telemetry.after),
        coffeeRows: sum(hours, (h) => h.coffees.after),
        rejected: sum(hours, (h) => h.errors.after),
        duplicateReadings: sum(hours, (h) => h.duplicateReadings),
        duplicateCoffees: sum(hours, (h) => h.duplicateCoffees),
      },
    };
  } finally {
    // Not committed (a failure before the plan was written): the lake is as it was.
    if (staging !== undefined) await discardStaging(staging);
    await writer.close();
  }
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
