import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openLocalLake as openLakeOfTheWriter } from '@coffee-iot/cloud/lake';
import { DuckDBInstance } from '@duckdb/node-api';
import { curatedPartitionKey, localPath, partitionValuesOf } from '../../cloud/src/lake/layout.js';
import { isJournalName, openLocalLake, ParquetMerger } from '../../cloud/src/lake/local/index.js';
import { sqlString } from '../../cloud/src/lake/local/sql-text.js';
import { silentLogger } from '../../cloud/src/logging/logger.js';
import { fullReading } from '../../cloud/src/testing/ingest-records.js';
import { CheckpointFile } from '../../local/src/kinesis/checkpoints.js';
import { LakeWriter } from '../../local/src/lake/lake-writer.js';
import {
  benchReading,
  deviceName,
  FIRST_READING_MS,
  telemetryBatches,
  telemetryStreamRecord,
} from './lake-records.js';
import { note } from './report.js';

/**
 * A telemetry lake of `readings` readings for the query benchmark, written by DuckDB straight
 * from SQL (10 million readings through LocalLake would take the better part of a minute and
 * test the writer, not the query). Same layout, file format and column types as LocalLake writes:
 * curated/telemetry/ingest_year=…/…/ingest_hour=HH/*.parquet, TIMESTAMP_MILLIS, partition
 * columns only in the path.
 *
 * `devices` devices read once a second from 2026-03-01 00:00 UTC; each reading arrives 2 s after
 * it was taken (its ingest hour). `filesPerHour` splits each hour into that many files by
 * arrival minute, as a lake written in batches looks. `resent` readings of one device, taken in
 * hour 5, are stored again in hour 100 (a device resending after an outage): duplicates the
 * `telemetry` view has to drop, in 2 files of the thousands.
 */
export interface FixtureOptions {
  readings: number;
  devices: number;
  filesPerHour: number;
  resent: number;
}

export interface Fixture {
  files: number;
  hours: number;
  rows: number;
  seconds: number;
}

const BASE_MS = Date.UTC(2026, 2, 1, 0, 0, 0);
const ARRIVAL_DELAY_MS = 2_000;

const COLUMNS = `
  'coffee-pi-' || lpad(CAST(i % $devices AS VARCHAR), 2, '0') AS device_id,
  '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f' AS boot_id,
  CAST(i // $devices + 1 AS BIGINT) AS seq,
  CAST(epoch_ms(${BASE_MS} + (i // $devices + 1) * 1000) AS TIMESTAMP_MS) AS ts,
  20 + ((i * 7919) % 1500) / 100.0 + (i % $devices) AS temperature,
  38 + ((i * 104729) % 400) / 100.0 AS humidity,
  1012 + ((i * 31) % 300) / 100.0 AS pressure,
  1.2 + ((i * 17) % 100) / 1000.0 AS pitch,
  358.9 - ((i * 13) % 100) / 1000.0 AS roll,
  92.3 + ((i * 11) % 100) / 100.0 AS yaw,
  22 + ((i * 7) % 200) / 100.0 AS temperature_ambient,
  50 + ((i * 3) % 80) / 10.0 AS temperature_cpu,
  ((i * 5) % 200) / 10000.0 AS accel_x,
  -((i * 3) % 200) / 10000.0 AS accel_y,
  0.99 + ((i * 7) % 20) / 10000.0 AS accel_z,
  ((i * 11) % 20) / 10000.0 AS gyro_x,
  ((i * 13) % 20) / 10000.0 AS gyro_y,
  -((i * 17) % 20) / 10000.0 AS gyro_z,
  21.3 + ((i * 19) % 100) / 100.0 AS mag_x,
  -4.1 + ((i * 23) % 100) / 100.0 AS mag_y,
  40.7 - ((i * 29) % 100) / 100.0 AS mag_z`;

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((name) => name.endsWith('.parquet')).length;
}

export async function buildTelemetryFixture(lakeDir: string, options: FixtureOptions): Promise<Fixture> {
  const began = performance.now();
  await mkdir(join(lakeDir, 'curated'), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const target = sqlString(join(lakeDir, 'curated', 'telemetry'));
  const perDevice = Math.ceil(options.readings / options.devices);
  const hours = Math.ceil((perDevice * 1000 + ARRIVAL_DELAY_MS) / 3_600_000) + 1;
  const bind = (sql: string) => sql.replaceAll('$devices', String(options.devices));
  try {
    // The partition strings of every hour, computed once rather than per reading.
    await connection.run(`CREATE TABLE hours AS SELECT h,
      strftime(epoch_ms(${BASE_MS} + h * 3600000), '%Y') AS ingest_year,
      strftime(epoch_ms(${BASE_MS} + h * 3600000), '%m') AS ingest_month,
      strftime(epoch_ms(${BASE_MS} + h * 3600000), '%d') AS ingest_day,
      strftime(epoch_ms(${BASE_MS} + h * 3600000), '%H') AS ingest_hour
      FROM range(${hours + 200}) r(h)`);
    const readings = bind(`SELECT ${COLUMNS},
      ${BASE_MS} + (i // $devices + 1) * 1000 + ${ARRIVAL_DELAY_MS} AS arrival_ms
      FROM range(${options.readings}) r(i)`);
    const minutesPerFile = 60 / options.filesPerHour;
    for (let part = 0; part < options.filesPerHour; part += 1) {
      await connection.run(`COPY (
        SELECT r.* EXCLUDE (arrival_ms), CAST(epoch_ms(r.arrival_ms) AS TIMESTAMP_MS) AS ingest_time,
          h.ingest_year, h.ingest_month, h.ingest_day, h.ingest_hour
        FROM (${readings}) r JOIN hours h ON h.h = (r.arrival_ms - ${BASE_MS}) // 3600000
        WHERE ((r.arrival_ms - ${BASE_MS}) % 3600000) // ${minutesPerFile * 60_000} = ${part}
      ) TO ${target} (FORMAT parquet, COMPRESSION snappy,
        PARTITION_BY (ingest_year, ingest_month, ingest_day, ingest_hour),
        FILENAME_PATTERN 'fixture-${part}-{i}', OVERWRITE_OR_IGNORE)`);
    }
    if (options.resent > 0) {
      // Device 3's readings from hour 5 on, arriving again in hour 100.
      const first = 5 * 3600 * options.devices + 3;
      await connection.run(`COPY (
        SELECT ${bind(COLUMNS)},
          CAST(epoch_ms(${BASE_MS + 100 * 3_600_000 + 300_000}) AS TIMESTAMP_MS) AS ingest_time,
          h.ingest_year, h.ingest_month, h.ingest_day, h.ingest_hour
        FROM range(${first}, ${first + options.resent * options.devices}, ${options.devices}) r(i)
        JOIN hours h ON h.h = 100
      ) TO ${target} (FORMAT parquet, COMPRESSION snappy,
        PARTITION_BY (ingest_year, ingest_month, ingest_day, ingest_hour),
        FILENAME_PATTERN 'resent-{i}', OVERWRITE_OR_IGNORE)`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return {
    files: await countFiles(join(lakeDir, 'curated', 'telemetry')),
    hours,
    rows: options.readings + options.resent,
    seconds: (performance.now() - began) / 1000,
  };
}

/**
 * The same kind of lake written the way the local stack writes it: LocalLake.ingest, batch by
 * batch, each batch arriving 2 s after its last reading (so files carry their seq ranges in the
 * footer, as a real local lake's do). `batchRecords` stream records of `perRecord` readings per
 * batch set the files per hour. Slower to build: this is the writer at work.
 */
export async function buildTelemetryFixtureWithLocalLake(
  lakeDir: string,
  options: FixtureOptions & { perRecord: number; batchRecords: number },
): Promise<Fixture> {
  const began = performance.now();
  const lake = await openLocalLake(lakeDir);
  let hours = 0;
  try {
    let last = 0;
    for (const batch of telemetryBatches(
      options.readings,
      options.perRecord,
      options.devices,
      options.batchRecords,
    )) {
      await lake.ingest(batch.records, batch.arrivedAt);
      last = batch.arrivedAt.getTime();
    }
    hours = Math.ceil((last - FIRST_READING_MS) / 3_600_000);
    if (options.resent > 0) {
      // Device 3's readings from hour 5 on, arriving again in the last hour: a fresh LocalLake
      // remembers nothing, so they are written again, and the views must drop them.
      const first = 5 * 3600;
      const readings = Array.from({ length: options.resent }, (_, i) => benchReading(3, first + i));
      const again = await openLocalLake(lakeDir);
      try {
        await again.ingest([telemetryStreamRecord(3, readings)], new Date(last));
      } finally {
        await again.close();
      }
    }
  } finally {
    await lake.close();
  }
  return {
    files: await countFiles(join(lakeDir, 'curated', 'telemetry')),
    hours,
    rows: options.readings + options.resent,
    seconds: (performance.now() - began) / 1000,
  };
}

export interface LiveWriterFixtureOptions {
  /** Readings in all, rounded to whole hours of `devices` devices at 1 Hz. */
  readings: number;
  devices: number;
  /** Seconds between lake writes: each device sends one envelope of this many readings (1 Hz). */
  perRecord: number;
  /** Merge the live hour's files (LakeCompactor, tier fanout), or not (the layout before it). */
  compaction: { fanout: number } | false;
}

/** Files of the live hour's telemetry partition as a query would have found them. */
export interface LiveFileCounts {
  /** After every write: the most files the live hour held, and the mean. */
  most: number;
  mean: number;
  /** Files per telemetry hour at the end (the last one still live), oldest first. */
  perHour: number[];
}

export interface LiveWriterFixture extends Fixture {
  writes: number;
  /** Readings written by the live writer (the last hour); the rest are closed hours. */
  liveReadings: number;
  liveFiles: LiveFileCounts;
}

/** Rows per file a replay writes (replay.ts): what a closed hour is left as. */
const REPLAY_ROWS_PER_FILE = 200_000;

async function parquetCount(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.parquet') && !name.startsWith('.')).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * A lake as the local stack's live writer leaves it mid-hour: the closed hours as a replay
 * leaves them (files of ≤ 200,000 rows, written here by DuckDB straight from SQL, as
 * buildTelemetryFixture does: driving millions of readings through the writer would take the
 * better part of an hour on a busy machine and measure the writer), then the last hour written
 * by the real LakeWriter (checkpoints, the live hour's merges) fed as the stream reader feeds it,
 * on a simulated clock: every `perRecord` s each device sends one envelope of `perRecord`
 * readings and the writer writes them, one file per table per write before merges (1,800 an
 * hour at 2 s). The readings go on where the closed hours end, seq and time, so no file
 * overlaps another. The writer is left running (a query sees the lake mid-hour); `stop()` stops
 * it and closes the lake.
 */
export async function buildTelemetryFixtureWithLiveWriter(
  lakeDir: string,
  options: LiveWriterFixtureOptions,
): Promise<LiveWriterFixture & { stop(): Promise<void> }> {
  const began = performance.now();
  const perDevice = Math.ceil(options.readings / options.devices);
  const closedHours = Math.max(0, Math.ceil(perDevice / 3600) - 1);
  // Reading s arrives at BASE + s s + 2 s: readings 1 … 3600·H − 3 arrive in hours 0 … H − 1.
  const closedPerDevice = closedHours === 0 ? 0 : 3600 * closedHours - 3;
  if (closedPerDevice > 0) {
    await buildTelemetryFixture(lakeDir, {
      readings: closedPerDevice * options.devices,
      devices: options.devices,
      filesPerHour: Math.max(1, Math.ceil((options.devices * 3600) / REPLAY_ROWS_PER_FILE)),
      resent: 0,
    });
  }
  const liveHourMs = BASE_MS + closedHours * 3_600_000;
  let now = new Date(liveHourMs);
  const clock = () => now;
  // The writer's own import of the lake (the same module at run time; its types are the package's).
  const lake = await openLakeOfTheWriter(lakeDir, { now: clock });
  const writer = new LakeWriter({
    lake,
    checkpoints: new CheckpointFile(join(lakeDir, '..', `checkpoints-${Date.now()}.json`)),
    logger: silentLogger(),
    flushMs: options.perRecord * 1000,
    maxBuffered: Number.POSITIVE_INFINITY,
    now: clock,
    compaction: options.compaction === false ? false : { fanout: options.compaction.fanout },
  });
  let writes = 0;
  let most = 0;
  let total = 0;
  let sequence = 0;
  let liveReadings = 0;
  const live = localPath(lakeDir, curatedPartitionKey('telemetry', partitionValuesOf(now)));
  for (let first = closedPerDevice + 1; ; first += options.perRecord) {
    const last = first + options.perRecord - 1;
    const arrivedAt = BASE_MS + last * 1000 + ARRIVAL_DELAY_MS;
    if (arrivedAt >= liveHourMs + 3_600_000) break;
    now = new Date(arrivedAt);
    const records = [];
    for (let device = 0; device < options.devices; device += 1) {
      const readings = [];
      for (let seq = first; seq <= last; seq += 1) readings.push(fullReading(seq, BASE_MS, device));
      sequence += 1;
      records.push({
        ...telemetryStreamRecord(device, readings),
        partitionKey: deviceName(device),
        shardId: 'shardId-000000000000',
        sequenceNumber: String(sequence),
      });
    }
    await writer.accept(records);
    await writer.flush();
    writes += 1;
    liveReadings += options.devices * options.perRecord;
    const files = await parquetCount(live);
    most = Math.max(most, files);
    total += files;
    if (writes % 300 === 0) note(`live writer: ${writes} writes, ${writer.counters.merges} merges`);
  }
  const perHour: number[] = [];
  const hourDirs = (await readdir(join(lakeDir, 'curated', 'telemetry'), { recursive: true })).filter(
    (entry) => /ingest_hour=\d\d$/.test(entry),
  );
  for (const dir of hourDirs.sort()) {
    perHour.push(await parquetCount(join(lakeDir, 'curated', 'telemetry', dir)));
  }
  return {
    files: await countFiles(join(lakeDir, 'curated', 'telemetry')),
    hours: perHour.length,
    rows: closedPerDevice * options.devices + liveReadings,
    seconds: (performance.now() - began) / 1000,
    writes,
    liveReadings,
    liveFiles: { most, mean: total / Math.max(1, writes), perHour },
    async stop() {
      await writer.stop();
      await lake.close();
    },
  };
}

/**
 * The one-file-per-hour layout of the same rows: each telemetry partition of `from` merged into
 * one Parquet file under `to` (what replaying every hour with no size limit would leave).
 */
export async function copyAsOneFilePerHour(from: string, to: string): Promise<number> {
  const merger = await ParquetMerger.open();
  let hours = 0;
  try {
    const root = join(from, 'curated', 'telemetry');
    const dirs = (await readdir(root, { recursive: true })).filter((entry) =>
      /ingest_hour=\d\d$/.test(entry),
    );
    for (const dir of dirs) {
      const names = await readdir(join(root, dir));
      // Files a merge has replaced but not yet deleted (its grace) would be rows twice here.
      const replaced = new Set<string>();
      for (const name of names.filter(isJournalName)) {
        const journal = JSON.parse(await readFile(join(root, dir, name), 'utf8')) as { inputs: string[] };
        for (const input of journal.inputs) replaced.add(input);
      }
      const inputs = names
        .filter((name) => name.endsWith('.parquet') && !name.startsWith('.') && !replaced.has(name))
        .map((name) => join(root, dir, name));
      const target = join(to, 'curated', 'telemetry', dir);
      await mkdir(target, { recursive: true });
      await merger.merge('telemetry', inputs, join(target, 'hour.parquet'));
      hours += 1;
    }
  } finally {
    merger.close();
  }
  return hours;
}
