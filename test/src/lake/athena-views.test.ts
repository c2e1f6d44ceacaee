import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LakeTableName, PARTITION_COLUMNS } from '../../../cloud/src/lake/columns.js';
import {
  decodePrestoView,
  glueTableInput,
  glueViewInput,
  RAW_TABLE_NAMES,
  VIEW_NAMES,
} from '../../../cloud/src/lake/glue-tables.js';
import { localPath } from '../../../cloud/src/lake/layout.js';
import { NAMED_QUERIES } from '../../../cloud/src/lake/named-queries.js';
import { createLakeViews } from '../../../cloud/src/lake/views.js';

/**
 * The Athena views the stack deploys (glueViewInput: the SQL inside ViewOriginalText, decoded
 * exactly as Athena decodes it), run by DuckDB over hive-partitioned Parquet laid out like the lake
 * bucket, with the raw tables' columns (glueTableInput) and Athena's "$path" as the file a row came
 * from. A reading and a coffee stored twice in two files come back once, as the earliest arrival;
 * the local lake's views (createLakeViews) give the very same rows.
 */

const DATABASE = 'lake_test';
const BUCKET = 'lake-test-bucket';
const DEVICE = 'coffee-pi-01';

/** Trino type names the view declares → what DuckDB calls the same type. */
const DUCKDB_OF_TRINO: Record<string, string> = {
  varchar: 'VARCHAR',
  bigint: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  'timestamp(3)': 'TIMESTAMP',
};

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

interface Hour {
  year: string;
  month: string;
  day: string;
  hour: string;
}
const HOUR_09: Hour = { year: '2026', month: '03', day: '05', hour: '09' };
const HOUR_10: Hour = { year: '2026', month: '03', day: '05', hour: '10' };
const NEXT_YEAR: Hour = { year: '2027', month: '01', day: '02', hour: '00' };

function hourKey(table: LakeTableName, at: Hour, file: string): string {
  return `curated/${table}/ingest_year=${at.year}/ingest_month=${at.month}/ingest_day=${at.day}/ingest_hour=${at.hour}/${file}`;
}

/** A literal cast to the column's lake type; every column of the table, in order, the rest NULL. */
function rowSelect(table: LakeTableName, values: Record<string, string | number | boolean>): string {
  const columns = glueTableInput(table, { bucket: BUCKET, firstYear: 2024 }).storageDescriptor.columns;
  const types: Record<string, string> = {
    string: 'VARCHAR',
    bigint: 'BIGINT',
    int: 'INTEGER',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP',
  };
  return `SELECT ${columns
    .map((c) => {
      const value = values[c.name];
      const text = value === undefined ? 'NULL' : typeof value === 'string' ? literal(value) : String(value);
      return `CAST(${text} AS ${types[c.type]}) AS ${quote(c.name)}`;
    })
    .join(', ')}`;
}

async function writeParquet(
  connection: DuckDBConnection,
  bucketDir: string,
  key: string,
  rows: string[],
): Promise<void> {
  const path = localPath(bucketDir, key);
  await mkdir(dirname(path), { recursive: true });
  await connection.run(`COPY (${rows.join(' UNION ALL ')}) TO ${literal(path)} (FORMAT parquet)`);
}

const readingRow = (seq: number, temperature: number, ingestTime: string) =>
  rowSelect('telemetry', {
    device_id: DEVICE,
    boot_id: '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
    seq,
    ts: `2026-03-05 09:00:${String(seq).padStart(2, '0')}`,
    temperature,
    humidity: 41.5,
    pressure: 1012.25,
    pitch: 1.5,
    roll: 358.75,
    yaw: 92.5,
    ingest_time: ingestTime,
  });

const coffeeRow = (photo: string, smile: boolean, ingestTime: string) =>
  rowSelect('coffees', {
    device_id: DEVICE,
    event_id: `event-${photo}-${ingestTime}`,
    photo_key: `photos/${DEVICE}/${photo}.jpg`,
    analyzed_at: '2026-03-05 09:30:00',
    status: 'analyzed',
    smile,
    ingest_time: ingestTime,
  });

/**
 * The raw table as Athena reads it: the Glue table's columns over its location's Parquet files,
 * partition columns from the path (strings), and "$path" (a hidden column in Athena, visible here).
 */
async function createRawTable(connection: DuckDBConnection, table: LakeTableName, bucketDir: string) {
  const input = glueTableInput(table, { bucket: BUCKET, firstYear: 2024 });
  const location = localPath(bucketDir, input.storageDescriptor.location.slice(`s3://${BUCKET}/`.length));
  const hiveTypes = input.partitionKeys.map((k) => `${literal(k.name)}: VARCHAR`).join(', ');
  const columns = [...input.storageDescriptor.columns, ...input.partitionKeys].map((c) => quote(c.name));
  await connection.run(
    `CREATE OR REPLACE VIEW ${quote(DATABASE)}.${quote(input.name)} AS SELECT ${columns.join(', ')}, filename AS "$path" FROM read_parquet(${literal(`${location}/**/*.parquet`)}, hive_partitioning = true, hive_types = {${hiveTypes}}, filename = true)`,
  );
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

describe('the Athena views, on DuckDB over the lake bucket layout', () => {
  let bucketDir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    bucketDir = await mkdtemp(join(tmpdir(), 'coffee-iot-athena-views-'));
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    // Reading 2 arrives at 09:10 and again at 10:05 (a resend): the 09:10 one counts. Reading 3
    // is stored twice at the same instant in two files (a re-imported CSV): the first path counts.
    // Reading 4 is first stored in the next year.
    await writeParquet(connection, bucketDir, hourKey('telemetry', HOUR_09, 'a.parquet'), [
      readingRow(1, 20.5, '2026-03-05 09:10:00'),
      readingRow(2, 21.5, '2026-03-05 09:10:00'),
    ]);
    await writeParquet(connection, bucketDir, hourKey('telemetry', HOUR_10, 'a.parquet'), [
      readingRow(3, 22.5, '2026-03-05 10:05:00'),
    ]);
    await writeParquet(connection, bucketDir, hourKey('telemetry', HOUR_10, 'b.parquet'), [
      readingRow(2, 99.0, '2026-03-05 10:05:00'),
      readingRow(3, 98.0, '2026-03-05 10:05:00'),
    ]);
    await writeParquet(connection, bucketDir, hourKey('telemetry', NEXT_YEAR, 'a.parquet'), [
      readingRow(4, 23.5, '2027-01-02 00:01:00'),
    ]);
    await writeParquet(connection, bucketDir, hourKey('coffees', HOUR_09, 'a.parquet'), [
      coffeeRow('cup-1', true, '2026-03-05 09:31:00'),
    ]);
    await writeParquet(connection, bucketDir, hourKey('coffees', HOUR_10, 'a.parquet'), [
      coffeeRow('cup-1', false, '2026-03-05 10:02:00'),
      coffeeRow('cup-2', false, '2026-03-05 10:02:00'),
    ]);
    await connection.run(`CREATE SCHEMA ${quote(DATABASE)}`);
    for (const table of ['telemetry', 'coffees'] as const) {
      await createRawTable(connection, table, bucketDir);
      // Athena resolves the view's unqualified names in its own schema: so does DuckDB here.
      const { originalSql, schema } = decodePrestoView(
        glueViewInput(table, { database: DATABASE }).viewOriginalText,
      );
      expect(schema).toBe(DATABASE);
      await connection.run(`USE memory.${quote(DATABASE)}`);
      await connection.run(`CREATE OR REPLACE VIEW ${quote(VIEW_NAMES[table])} AS ${originalSql}`);
    }
  });

  afterAll(async () => {
    connection?.closeSync();
    instance?.closeSync();
    if (bucketDir) await rm(bucketDir, { recursive: true, force: true });
  });

  it('stores the duplicates in the raw tables', async () => {
    const [telemetry] = await rows(connection, `SELECT count(*) AS n FROM ${RAW_TABLE_NAMES.telemetry}`);
    const [coffees] = await rows(connection, `SELECT count(*) AS n FROM ${RAW_TABLE_NAMES.coffees}`);
    expect([telemetry?.n, coffees?.n]).toEqual(['6', '3']);
  });

  it('gives one reading per (device_id, seq): the earliest arrival, then the first file', async () => {
    const telemetry = await rows(
      connection,
      'SELECT seq, temperature, ingest_hour, ingest_year FROM telemetry ORDER BY seq',
    );
    expect(telemetry).toEqual([
      { seq: '1', temperature: 20.5, ingest_hour: '09', ingest_year: '2026' },
      { seq: '2', temperature: 21.5, ingest_hour: '09', ingest_year: '2026' },
      { seq: '3', temperature: 22.5, ingest_hour: '10', ingest_year: '2026' },
      { seq: '4', temperature: 23.5, ingest_hour: '00', ingest_year: '2027' },
    ]);
  });

  it('gives one coffee per photo_key, the earliest arrival', async () => {
    const coffees = await rows(
      connection,
      'SELECT photo_key, smile, ingest_hour FROM coffees ORDER BY photo_key',
    );
    expect(coffees).toEqual([
      { photo_key: `photos/${DEVICE}/cup-1.jpg`, smile: true, ingest_hour: '09' },
      { photo_key: `photos/${DEVICE}/cup-2.jpg`, smile: false, ingest_hour: '10' },
    ]);
  });

  it('returns exactly the columns the view declares to Athena: names, order and types', async () => {
    for (const table of ['telemetry', 'coffees'] as const) {
      const { columns } = decodePrestoView(glueViewInput(table, { database: DATABASE }).viewOriginalText);
      const described = await rows(connection, `DESCRIBE SELECT * FROM ${quote(VIEW_NAMES[table])}`);
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual(
        columns.map((c) => [c.name, DUCKDB_OF_TRINO[c.type]]),
      );
      expect(columns.slice(-PARTITION_COLUMNS.length).map((c) => c.name)).toEqual([...PARTITION_COLUMNS]);
    }
  });

  it('answers the named queries from the views, duplicates left out', async () => {
    const perHour = NAMED_QUERIES.find((q) => q.name === 'readings-per-device-per-hour');
    const cups = NAMED_QUERIES.find((q) => q.name === 'cups-and-smile-rate-per-day');
    expect(await rows(connection, perHour?.sql ?? '')).toEqual([
      { device_id: DEVICE, hour: '2026-03-05 09:00:00', readings: '4' },
    ]);
    expect(await rows(connection, cups?.sql ?? '')).toEqual([
      { day: '2026-03-05', cups: '2', smile_rate: 0.5 },
    ]);
  });

  it('keeps the same rows as the local lake’s views over the same files', async () => {
    const local = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      await createLakeViews(local, bucketDir, []);
      for (const table of ['telemetry', 'coffees'] as const) {
        const order = table === 'telemetry' ? 'device_id, seq' : 'photo_key';
        const sql = `SELECT * FROM ${quote(VIEW_NAMES[table])} ORDER BY ${order}`;
        expect(await rows(connection, sql)).toEqual(await rows(local, sql));
      }
    } finally {
      local.closeSync();
    }
  });
});
