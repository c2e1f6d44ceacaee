import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AthenaExportOptions,
  buildAthenaExportQueries,
} from '../../../cloud/src/lake/export/athena-export.js';
import {
  DEVICES_COLUMNS,
  DEVICES_SNAPSHOT_KEY,
  devicesGlueTableInput,
  devicesSnapshotNdjson,
} from '../../../cloud/src/lake/export/devices-table.js';
import { INPUT_COUNT_COLUMNS } from '../../../cloud/src/lake/export/export-sql.js';
import {
  athenaViewSql,
  type GlueTableInput,
  glueTableInput,
  VIEW_NAMES,
} from '../../../cloud/src/lake/glue-tables.js';
import { localPath } from '../../../cloud/src/lake/layout.js';
import { NAMED_QUERIES } from '../../../cloud/src/lake/named-queries.js';
import { ADA, BUCKET, COFFEES, DAY, KNOWN_DAY_ATHENA_COUNTS, TELEMETRY } from './export-known-day.js';
import { coffee, reading, writeLakeTable } from './export-lake-fixture.js';
import {
  createGlueTableView,
  duckDbType,
  emulateTrinoFunctions,
  PATH_COLUMN,
} from './glue-catalog-duckdb.js';

/**
 * The export's Athena SQL and the named queries, run by DuckDB against exactly the Glue tables the
 * stack deploys (glueTableInput, devicesGlueTableInput: their columns, locations, SerDes and
 * partition projection) over a directory laid out like the lake bucket: curated/{table}/
 * ingest_year=…/…/ingest_hour=HH/*.parquet and devices/snapshot.json as the snapshot writer
 * writes it. A reading and a coffee stored twice, in two files, are exported once.
 */
const LAKE_BUCKET = 'coffee-iot-lake-123456789012';
const DATABASE = 'coffee_iot';
const OPTIONS: AthenaExportOptions = { database: DATABASE, outputBucket: LAKE_BUCKET, photoBucket: BUCKET };
const TODAY = new Date().toISOString().slice(0, 10);

const REGISTERED = {
  ...ADA,
  firstSeenAt: '2026-01-02T03:04:05.678Z',
  lastSeenAt: '2026-03-04T08:00:02.000Z',
};

/** The catalog the stack creates: the raw lake tables, the registry snapshot, and the views (below). */
const TABLES: GlueTableInput[] = [
  glueTableInput('telemetry', { bucket: LAKE_BUCKET, firstYear: 2024 }),
  glueTableInput('coffees', { bucket: LAKE_BUCKET, firstYear: 2024 }),
  devicesGlueTableInput({ bucket: LAKE_BUCKET }),
];

/** Statement text with the UNLOAD around it removed: the SELECT Athena would run. */
function unloadedSelect(unload: string): string {
  const match =
    /^UNLOAD \(\n([\s\S]*)\n\) TO '[^']*'\nWITH \(format = 'PARQUET', compression = 'SNAPPY'\)$/.exec(unload);
  if (match === null) throw new Error(`not an UNLOAD: ${unload.slice(0, 60)}`);
  return match[1] as string;
}

describe('the export SQL and named queries on the stack’s Glue tables, over an S3-shaped lake', () => {
  let bucketDir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
  const queries = buildAthenaExportQueries(DAY, OPTIONS);

  beforeAll(async () => {
    bucketDir = await mkdtemp(join(tmpdir(), 'coffee-iot-s3-lake-'));
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await writeLakeTable(connection, bucketDir, 'telemetry', TELEMETRY);
    await writeLakeTable(connection, bucketDir, 'coffees', COFFEES);
    // The same reading and the same coffee again, later, in other files (a Firehose retry, a
    // re-imported CSV): the export counts and writes each once.
    await writeLakeTable(connection, bucketDir, 'telemetry', [
      reading('pi-a', 3, '2026-03-04T12:00:00.250Z', '2026-03-04T13:30:00.000Z'),
    ]);
    await writeLakeTable(connection, bucketDir, 'coffees', [
      coffee('pi-a', 'e-ok-1', 'photos/pi-a/2026/03/04/e-ok-1.jpg', {
        capturedAt: '2026-03-04T08:00:00.000Z',
        analyzedAt: '2026-03-04T18:00:00.000Z',
      }),
    ]);
    // Today's readings, for the named query about today; one of them twice, in two files.
    await writeLakeTable(connection, bucketDir, 'telemetry', [
      reading('pi-a', 1001, `${TODAY}T00:00:01.000Z`),
      reading('pi-a', 1002, `${TODAY}T00:00:02.000Z`),
    ]);
    await writeLakeTable(connection, bucketDir, 'telemetry', [
      reading('pi-a', 1002, `${TODAY}T00:00:02.000Z`, `${TODAY}T00:10:00.000Z`),
    ]);
    const snapshot = localPath(bucketDir, DEVICES_SNAPSHOT_KEY);
    await mkdir(dirname(snapshot), { recursive: true });
    await writeFile(snapshot, devicesSnapshotNdjson([REGISTERED]));

    await connection.run(`CREATE SCHEMA ${DATABASE}`);
    for (const table of TABLES) {
      await createGlueTableView(connection, DATABASE, table, { bucket: LAKE_BUCKET, bucketDir });
    }
    // The deduplicating views, with the SQL the stack stores in them; Athena resolves their
    // unqualified names in the database, as the search path does here.
    await connection.run(`SET search_path = '${DATABASE},main'`);
    for (const view of ['telemetry', 'coffees'] as const) {
      await connection.run(`CREATE VIEW ${DATABASE}.${VIEW_NAMES[view]} AS ${athenaViewSql(view)}`);
    }
    await emulateTrinoFunctions(connection);
  });

  afterAll(async () => {
    connection?.closeSync();
    instance?.closeSync();
    await rm(bucketDir, { recursive: true, force: true });
  });

  it('holds the duplicates in two files each, as the lake would', async () => {
    const files = await readdir(join(bucketDir, 'curated', 'telemetry'), { recursive: true });
    const parquet = files.filter((file) => file.endsWith('.parquet'));
    expect(parquet.length).toBeGreaterThanOrEqual(3);
    const raw = TABLES[0]?.name;
    const copies = await read(
      `SELECT count(*) AS n FROM ${DATABASE}.${raw} WHERE device_id = 'pi-a' AND seq = 3`,
    );
    expect(copies).toEqual([{ n: 2n }]);
  });

  it('reads every file with the types the Glue tables declare', async () => {
    for (const table of TABLES) {
      const described = await read(`DESCRIBE ${DATABASE}.${table.name}`);
      expect(
        described
          .filter((row) => row.column_name !== PATH_COLUMN)
          .map((row) => [row.column_name, row.column_type]),
        table.name,
      ).toEqual(
        [...table.storageDescriptor.columns, ...table.partitionKeys].map((c) => [c.name, duckDbType(c.type)]),
      );
    }
    expect(await read(`SELECT * EXCLUDE ("${PATH_COLUMN}") FROM ${DATABASE}.devices`)).toEqual([
      {
        thing_name: 'pi-a',
        owner: 'Ada',
        location: 'Kitchen, 2nd floor',
        model: 'Gaggia Classic',
        first_seen_at: new Date('2026-01-02T03:04:05.678Z'),
        last_seen_at: new Date('2026-03-04T08:00:02.000Z'),
      },
    ]);
    expect(TABLES[2]?.storageDescriptor.columns.map((c) => c.name)).toEqual(
      DEVICES_COLUMNS.map((c) => c.name),
    );
  });

  it('counts the day once per reading and per coffee, and the device the registry does not know', async () => {
    const reader = await connection.runAndReadAll(queries.count);
    expect(reader.columnNames()).toEqual([...INPUT_COUNT_COLUMNS]);
    expect(reader.getRowObjectsJS()).toEqual([KNOWN_DAY_ATHENA_COUNTS]);
  });

  it('writes each reading and coffee once, enriched from the snapshot, in the CSV and the Parquet', async () => {
    expect(unloadedSelect(queries.telemetryParquet)).toBe(queries.telemetryCsv);
    expect(unloadedSelect(queries.coffeesParquet)).toBe(queries.coffeesCsv);
    const telemetry = await read(
      `SELECT device_id, seq, owner, location, model, ingest_time FROM (${queries.telemetryCsv})`,
    );
    expect(telemetry.map((row) => `${row.device_id}/${row.seq}/${row.owner}/${row.model}`)).toEqual([
      'pi-a/2/Ada/Gaggia Classic',
      'pi-a/3/Ada/Gaggia Classic',
      'pi-a/4/Ada/Gaggia Classic',
      'pi-ghost/1/null/null',
      'pi-ghost/2/null/null',
    ]);
    // The first copy is the one exported.
    expect(telemetry[1]?.ingest_time).toEqual(new Date('2026-03-04T12:00:00.250Z'));
    const coffees = await read(
      `SELECT event_id, location, photo_url, analyzed_at FROM (${queries.coffeesCsv})`,
    );
    expect(coffees.map((row) => `${row.event_id}/${row.location}`)).toEqual([
      'e-ok-1/Kitchen, 2nd floor',
      'e-ok-2/Kitchen, 2nd floor',
      'e-ghost/null',
    ]);
    expect(coffees[0]).toMatchObject({
      photo_url: `s3://${BUCKET}/photos/pi-a/2026/03/04/e-ok-1.jpg`,
      analyzed_at: new Date('2026-03-04T08:00:02.000Z'),
    });
  });

  it('runs every named query against the tables and answers over the known rows', async () => {
    const answers = new Map<string, Record<string, unknown>[]>();
    for (const query of NAMED_QUERIES) answers.set(query.name, await read(query.sql));
    expect(answers.get('temperature-per-device-today')).toEqual([
      expect.objectContaining({ device_id: 'pi-a', readings: 2n }),
    ]);
    const perHour = answers.get('readings-per-device-per-hour') ?? [];
    expect(perHour.length).toBeGreaterThan(0);
    // The coffee stored twice is one cup; e-prev was taken the day before.
    const cups = answers.get('cups-and-smile-rate-per-day') ?? [];
    expect(cups.map((row) => [(row.day as Date).toISOString().slice(0, 10), row.cups])).toEqual([
      ['2026-03-03', 1n],
      ['2026-03-04', 7n],
    ]);
  });
});
