import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Device } from '../../../cloud/src/db/device-repository.js';
import {
  COFFEE_EXPORT_COLUMNS,
  TELEMETRY_EXPORT_COLUMNS,
} from '../../../cloud/src/lake/export/export-columns.js';
import { exportDay } from '../../../cloud/src/lake/export/export-day.js';
import {
  ExportFailedError,
  InvalidBucketNameError,
  InvalidExportDayError,
} from '../../../cloud/src/lake/export/export-errors.js';
import type { DayExported, ExportReport } from '../../../cloud/src/lake/export/export-report.js';
import { createLakeViews } from '../../../cloud/src/lake/views.js';
import { ADA, BUCKET, COFFEES, DAY, device, GHOST, NOW, TELEMETRY } from './export-known-day.js';
import { writeLakeTable } from './export-lake-fixture.js';

describe('exportDay', () => {
  let lakeDir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
  const exportDir = (day = DAY) => join(lakeDir, 'exports', day);
  const run = async (devices: Device[], day = DAY): Promise<ExportReport> => {
    await createLakeViews(connection, lakeDir, devices);
    return exportDay(connection, lakeDir, day, { photoBucket: BUCKET, now: () => NOW });
  };
  const exported = async (devices: Device[]): Promise<DayExported> => {
    const report = await run(devices);
    if (report.status !== 'exported') throw new Error(`expected an export, got ${JSON.stringify(report)}`);
    return report;
  };

  beforeEach(async () => {
    lakeDir = await mkdtemp(join(tmpdir(), 'coffee-iot-export-'));
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await writeLakeTable(connection, lakeDir, 'telemetry', TELEMETRY);
    await writeLakeTable(connection, lakeDir, 'coffees', COFFEES);
  });

  afterEach(async () => {
    connection.closeSync();
    instance.closeSync();
    await rm(lakeDir, { recursive: true, force: true });
  });

  describe('a day with data', () => {
    it('exports the readings measured on the day, each with its device registry fields', async () => {
      const report = await exported([ADA]);
      expect(report.rows.telemetry).toBe(6);

      const rows = await read(
        `SELECT device_id, seq, strftime(ts, '%Y-%m-%d %H:%M:%S.%g') AS ts, owner, location, model
         FROM read_parquet('${exportDir()}/telemetry.parquet')`,
      );
      expect(rows).toEqual([
        {
          device_id: 'pi-a',
          seq: 2n,
          ts: '2026-03-04 00:00:00.000',
          owner: 'Ada',
          location: 'Kitchen, 2nd floor',
          model: 'Gaggia Classic',
        },
        {
          device_id: 'pi-a',
          seq: 3n,
          ts: '2026-03-04 12:00:00.250',
          owner: 'Ada',
          location: 'Kitchen, 2nd floor',
          model: 'Gaggia Classic',
        },
        {
          device_id: 'pi-a',
          seq: 6n,
          ts: '2026-03-04 15:00:00.000',
          owner: 'Ada',
          location: 'Kitchen, 2nd floor',
          model: 'Gaggia Classic',
        },
        {
          device_id: 'pi-a',
          seq: 4n,
          ts: '2026-03-04 23:59:59.999',
          owner: 'Ada',
          location: 'Kitchen, 2nd floor',
          model: 'Gaggia Classic',
        },
        {
          device_id: 'pi-ghost',
          seq: 1n,
          ts: '2026-03-04 08:00:00.000',
          owner: null,
          location: null,
          model: null,
        },
        {
          device_id: 'pi-ghost',
          seq: 2n,
          ts: '2026-03-04 08:00:01.000',
          owner: null,
          location: null,
          model: null,
        },
      ]);
    });

    it('exports the coffees taken on the day with their photo URL, enriched the same way', async () => {
      const report = await exported([ADA]);
      expect(report.rows.coffees).toBe(3);
      const rows = await read(
        `SELECT event_id, photo_url, owner FROM read_parquet('${exportDir()}/coffees.parquet')`,
      );
      expect(rows).toEqual([
        {
          event_id: 'e-ok-1',
          photo_url: 's3://coffee-photos/photos/pi-a/2026/03/04/e-ok-1.jpg',
          owner: 'Ada',
        },
        {
          event_id: 'e-ok-2',
          photo_url: 's3://coffee-photos/photos/pi-a/2026/03/04/e-ok-2.jpg',
          owner: 'Ada',
        },
        {
          event_id: 'e-ghost',
          photo_url: 's3://coffee-photos/photos/pi-ghost/2026/03/04/e-ghost.jpg',
          owner: null,
        },
      ]);
    });

    it('counts the devices the registry knows and those it does not, with their rows', async () => {
      const report = await exported([ADA, device('pi-idle', 'Ida', 'Hall', 'Moka')]);
      expect(report.devices).toEqual({
        registered: ['pi-a'],
        unregistered: [{ deviceId: 'pi-ghost', readings: 2, coffees: 1 }],
      });
    });

    it('leaves out coffees whose photo URL is not valid, counted by reason with their event ids', async () => {
      const report = await exported([ADA]);
      expect(report.coffeesLeftOut).toEqual({
        total: 4,
        byReason: [
          expect.objectContaining({ problem: 'control-character', count: 1, eventIds: ['e-newline'] }),
          expect.objectContaining({ problem: 'empty-object-key', count: 1, eventIds: ['e-empty'] }),
          expect.objectContaining({ problem: 'missing-photo-key', count: 1, eventIds: ['e-null'] }),
          expect.objectContaining({ problem: 'object-key-too-long', count: 1, eventIds: ['e-long'] }),
        ],
      });
      const ids = await read(`SELECT event_id FROM read_csv('${exportDir()}/coffees.csv', header = true)`);
      expect(ids.map((row) => row.event_id)).toEqual(['e-ok-1', 'e-ok-2', 'e-ghost']);
    });

    it('writes CSV and Parquet with the same rows, read back through DuckDB', async () => {
      const report = await exported([ADA]);
      expect(report.files).toEqual([
        `exports/${DAY}/telemetry.parquet`,
        `exports/${DAY}/telemetry.csv`,
        `exports/${DAY}/coffees.parquet`,
        `exports/${DAY}/coffees.csv`,
      ]);
      expect((await readdir(exportDir())).sort()).toEqual([
        'coffees.csv',
        'coffees.parquet',
        'telemetry.csv',
        'telemetry.parquet',
      ]);
      for (const table of ['telemetry', 'coffees']) {
        // EXCEPT ALL in both directions: the same rows, each as often, read from either file.
        const [diff] = await read(
          `SELECT
             (SELECT count(*) FROM read_parquet('${exportDir()}/${table}.parquet')) AS parquet_rows,
             (SELECT count(*) FROM read_csv('${exportDir()}/${table}.csv', header = true)) AS csv_rows,
             (SELECT count(*) FROM (SELECT * FROM read_parquet('${exportDir()}/${table}.parquet')
                EXCEPT ALL SELECT * FROM read_csv('${exportDir()}/${table}.csv', header = true))) AS only_parquet`,
        );
        const expected = table === 'telemetry' ? report.rows.telemetry : report.rows.coffees;
        expect(diff).toEqual({
          parquet_rows: BigInt(expected),
          csv_rows: BigInt(expected),
          only_parquet: 0n,
        });
      }
    });

    it('writes a header row, timestamps as YYYY-MM-DD HH:MM:SS.mmm and booleans as true/false in the CSV', async () => {
      await exported([ADA]);
      const [telemetryHeader, firstReading] = (
        await readFile(join(exportDir(), 'telemetry.csv'), 'utf8')
      ).split('\n');
      expect(telemetryHeader).toBe(TELEMETRY_EXPORT_COLUMNS.map((column) => column.name).join(','));
      const fields = Object.fromEntries(
        TELEMETRY_EXPORT_COLUMNS.map((column, index) => [column.name, firstReading?.split(',')[index]]),
      );
      expect(fields.ts).toBe('2026-03-04 00:00:00.000');
      expect(fields.ingest_time).toBe('2026-03-04 00:00:00.000');

      const coffeeLines = (await readFile(join(exportDir(), 'coffees.csv'), 'utf8')).split('\n');
      expect(coffeeLines[0]).toBe(COFFEE_EXPORT_COLUMNS.map((column) => column.name).join(','));
      const coffeeFields = Object.fromEntries(
        COFFEE_EXPORT_COLUMNS.map((column, index) => [column.name, coffeeLines[1]?.split(',')[index]]),
      );
      expect(coffeeFields).toMatchObject({
        captured_at: '2026-03-04 08:00:00.000',
        analyzed_at: '2026-03-04 08:00:02.000',
        smile: 'true',
        eyeglasses: 'false',
        beard: '', // unknown stays unknown: an empty field
      });
    });

    it('writes Parquet timestamps in milliseconds, which Athena reads (never nanoseconds)', async () => {
      await exported([ADA]);
      const timestampColumns = await read(
        `SELECT name, type, converted_type, logical_type FROM parquet_schema('${exportDir()}/telemetry.parquet')
         WHERE name IN ('ts', 'ingest_time')
         UNION ALL
         SELECT name, type, converted_type, logical_type FROM parquet_schema('${exportDir()}/coffees.parquet')
         WHERE name IN ('captured_at', 'analyzed_at', 'ingest_time')`,
      );
      expect(timestampColumns).toHaveLength(5);
      for (const column of timestampColumns) {
        expect(column).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
        expect(String(column.logical_type)).toMatch(
          /^TimestampType\(.*MILLIS=MilliSeconds\(\).*NANOS=<null>/,
        );
      }
    });

    it('replaces an earlier export of the day on a re-run: no duplicates, nothing left behind', async () => {
      const first = await exported([ADA]);
      await writeFile(join(exportDir(), 'stray.txt'), 'left by hand');
      // The registry learnt of pi-ghost in between: the second run must show it, not the first's rows.
      const second = await exported([ADA, GHOST]);

      expect(second.rows).toEqual(first.rows);
      expect((await readdir(exportDir())).sort()).toEqual([
        'coffees.csv',
        'coffees.parquet',
        'telemetry.csv',
        'telemetry.parquet',
      ]);
      const [counts] = await read(
        `SELECT count(*) AS rows, count(owner) AS with_owner FROM read_csv('${exportDir()}/telemetry.csv', header = true)`,
      );
      expect(counts).toEqual({ rows: 6n, with_owner: 6n });
      expect(second.devices.unregistered).toEqual([]);
      // Only the day's directory in exports/: no staging or replaced directories left over.
      expect(await readdir(join(lakeDir, 'exports'))).toEqual([DAY]);
    });
  });

  it('fails, writing nothing, when the join would repeat rows (a thing name twice in the registry)', async () => {
    await createLakeViews(connection, lakeDir, [ADA]);
    await connection.run("INSERT INTO devices VALUES ('pi-a', 'Ada', 'Hall', 'Gaggia', NULL, NULL)");
    await expect(exportDay(connection, lakeDir, DAY, { photoBucket: BUCKET })).rejects.toThrow(
      new ExportFailedError(DAY, 'checking the rows written', {
        cause: new Error(
          'the day has 6 readings and 7 coffees, but 10 readings and 9 coffees (5 written, 4 left out) were accounted for',
        ),
      }),
    );
    expect(await readdir(join(lakeDir, 'exports'))).toEqual([]);
  });

  describe('a day without data', () => {
    it('ends with "nothing to export" and writes nothing', async () => {
      const report = await run([ADA], '2026-03-10');
      expect(report).toEqual({
        status: 'nothing-to-export',
        day: '2026-03-10',
        message: 'nothing to export for 2026-03-10',
      });
      expect(existsSync(join(lakeDir, 'exports'))).toBe(false);
    });

    it('ends the same way on a lake with no tables written yet', async () => {
      const emptyLake = await mkdtemp(join(tmpdir(), 'coffee-iot-export-empty-'));
      try {
        await createLakeViews(connection, emptyLake, []);
        const report = await exportDay(connection, emptyLake, DAY, { photoBucket: BUCKET });
        expect(report.status).toBe('nothing-to-export');
        expect(await readdir(emptyLake)).toEqual([]);
      } finally {
        await rm(emptyLake, { recursive: true, force: true });
      }
    });
  });

  describe('refuses before reading anything', () => {
    it('a day that is not yyyy-mm-dd or not on the calendar', async () => {
      await createLakeViews(connection, lakeDir, []);
      for (const day of ['2026-3-4', '2026-02-30', 'yesterday', '2026-03-04T00:00:00Z']) {
        await expect(exportDay(connection, lakeDir, day, { photoBucket: BUCKET })).rejects.toBeInstanceOf(
          InvalidExportDayError,
        );
      }
    });

    it('a photo bucket that would make every photo URL invalid', async () => {
      await createLakeViews(connection, lakeDir, []);
      await expect(
        exportDay(connection, lakeDir, DAY, { photoBucket: 'Coffee_Photos' }),
      ).rejects.toBeInstanceOf(InvalidBucketNameError);
      expect(existsSync(join(lakeDir, 'exports'))).toBe(false);
    });
  });
});
