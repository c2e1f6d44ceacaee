import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openLocalLake } from '../../cloud/src/lake/local/index.js';
import { sqlString } from '../../cloud/src/lake/local/sql-text.js';
import { benchReading, FIRST_READING_MS, telemetryBatches, telemetryStreamRecord } from './lake-records.js';

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
