import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AthenaExportOptions,
  buildAthenaExportQueries,
  buildAthenaExportQueryTemplates,
  DEFAULT_TABLES,
} from '../../../cloud/src/lake/export/athena-export.js';
import { renderDayTokens } from '../../../cloud/src/lake/export/day-tokens.js';
import { InvalidBucketNameError } from '../../../cloud/src/lake/export/export-errors.js';
import { INPUT_COUNT_COLUMNS } from '../../../cloud/src/lake/export/export-sql.js';
import { createLakeViews } from '../../../cloud/src/lake/views.js';
import { ADA, BUCKET, COFFEES, DAY, KNOWN_DAY_ATHENA_COUNTS, TELEMETRY } from './export-known-day.js';
import { writeLakeTable } from './export-lake-fixture.js';
import { emulateTrinoFunctions } from './glue-catalog-duckdb.js';

const OPTIONS: AthenaExportOptions = {
  database: 'coffee_lake',
  outputBucket: 'coffee-exports',
  photoBucket: BUCKET,
};

/** The ingest partitions a statement reads, as yyyy-mm-dd. */
function ingestDaysRead(sql: string): string[] {
  const days = [
    ...sql.matchAll(
      /t\.ingest_year = '(\d{4})' AND t\.ingest_month = '(\d{2})' AND t\.ingest_day = '(\d{2})'/g,
    ),
  ];
  return days.map(([, year, month, day]) => `${year}-${month}-${day}`);
}

describe('the Athena export SQL', () => {
  const queries = buildAthenaExportQueries(DAY, OPTIONS);

  it("reads the day's measurements from the ingest partitions of the day and one day either side", () => {
    for (const sql of [queries.count, queries.telemetryParquet, queries.telemetryCsv]) {
      expect(sql).toContain(
        `t.ts >= TIMESTAMP '2026-03-04 00:00:00.000' AND t.ts < TIMESTAMP '2026-03-05 00:00:00.000'`,
      );
      expect(ingestDaysRead(sql)).toEqual(['2026-03-03', '2026-03-04', '2026-03-05']);
    }
    expect(queries.coffeesParquet).toContain(
      "c.ingest_year = '2026' AND c.ingest_month = '03' AND c.ingest_day = '05'",
    );
    expect(queries.coffeesParquet).toContain(
      "coalesce(c.captured_at, c.analyzed_at) >= TIMESTAMP '2026-03-04 00:00:00.000'",
    );
  });

  it('crosses month and year ends in the partitions, and widens with the margin', () => {
    expect(ingestDaysRead(buildAthenaExportQueries('2026-01-01', OPTIONS).count)).toEqual([
      '2025-12-31',
      '2026-01-01',
      '2026-01-02',
    ]);
    expect(
      ingestDaysRead(buildAthenaExportQueries('2028-03-01', { ...OPTIONS, ingestMarginDays: 2 }).count),
    ).toEqual(['2028-02-28', '2028-02-29', '2028-03-01', '2028-03-02', '2028-03-03']);
  });

  it('UNLOADs each table as Parquet under exports/{day}/ in the output bucket', () => {
    expect(queries.telemetryParquet).toMatch(/^UNLOAD \(\nSELECT/);
    expect(queries.telemetryParquet).toMatch(
      /\) TO 's3:\/\/coffee-exports\/exports\/2026-03-04\/telemetry\/'\nWITH \(format = 'PARQUET', compression = 'SNAPPY'\)$/,
    );
    expect(queries.coffeesParquet).toContain("TO 's3://coffee-exports/exports/2026-03-04/coffees/'");
    expect(queries.telemetryCsv).toMatch(/^SELECT/);
  });

  it('joins the registry, builds the photo URL and applies the URL rule with regexp_like', () => {
    expect(queries.telemetryParquet).toContain(
      'LEFT JOIN "coffee_lake"."devices" d ON d.thing_name = t.device_id',
    );
    expect(queries.coffeesParquet).toContain(
      "('s3://' || 'coffee-photos' || '/' || c.photo_key) AS photo_url",
    );
    expect(queries.coffeesParquet).toContain("regexp_like(u.photo_url, '^(s3|https)://')");
    expect(queries.coffeesParquet).toContain('WHERE c.photo_problem IS NULL');
    expect(queries.coffeesParquet).toContain('CAST(c.captured_at AS timestamp(3)) AS captured_at');
    expect(queries.count).toContain("count(CASE WHEN photo_problem = 'empty-object-key' THEN 1 END)");
  });

  it('refuses bucket names S3 would refuse', () => {
    expect(() => buildAthenaExportQueries(DAY, { ...OPTIONS, outputBucket: 'Exports!' })).toThrow(
      InvalidBucketNameError,
    );
    expect(() => buildAthenaExportQueries(DAY, { ...OPTIONS, ingestMarginDays: -1 })).toThrow(RangeError);
  });

  it('renders from the state machine templates to exactly these statements', () => {
    const { queries: templates, tokens } = buildAthenaExportQueryTemplates(OPTIONS);
    for (const [name, template] of Object.entries(templates)) {
      expect(template).not.toContain(DAY);
      // The state machine stores templates as plain strings: nothing may read as JSONata.
      expect(template).not.toMatch(/\{%|%\}/);
      const unknown = [...template.matchAll(/\{\{[^}]*\}\}/g)]
        .map(([token]) => token)
        .filter((token) => !tokens.some((known) => known.token === token));
      expect(unknown, name).toEqual([]);
      expect(renderDayTokens(template, DAY, tokens), name).toBe(queries[name as keyof typeof queries]);
    }
  });

  describe('run by DuckDB over the known day, with Trino functions emulated', () => {
    let lakeDir: string;
    let instance: DuckDBInstance;
    let connection: DuckDBConnection;
    const read = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();

    beforeAll(async () => {
      lakeDir = await mkdtemp(join(tmpdir(), 'coffee-iot-athena-export-'));
      instance = await DuckDBInstance.create(':memory:');
      connection = await instance.connect();
      await writeLakeTable(connection, lakeDir, 'telemetry', TELEMETRY);
      await writeLakeTable(connection, lakeDir, 'coffees', COFFEES);
      await createLakeViews(connection, lakeDir, [ADA]);
      await connection.run('CREATE SCHEMA coffee_lake');
      // The export reads the raw tables (telemetry_all, coffees_all) and their hidden "$path".
      for (const [local, athena] of Object.entries(DEFAULT_TABLES)) {
        const path = local === 'devices' ? '' : ', NULL AS "$path"';
        await connection.run(`CREATE VIEW coffee_lake.${athena} AS SELECT *${path} FROM temp.main.${local}`);
      }
      await emulateTrinoFunctions(connection);
    });

    afterAll(async () => {
      connection.closeSync();
      instance.closeSync();
      await rm(lakeDir, { recursive: true, force: true });
    });

    it('counts what the Find input step decides on, in INPUT_COUNT_COLUMNS order', async () => {
      const reader = await connection.runAndReadAll(queries.count);
      expect(reader.columnNames()).toEqual([...INPUT_COUNT_COLUMNS]);
      expect(reader.getRowObjectsJS()).toEqual([KNOWN_DAY_ATHENA_COUNTS]);
    });

    it('selects the same enriched rows as the local export, and the late reading with a wider margin', async () => {
      const telemetry = await read(`SELECT device_id, seq, owner FROM (${queries.telemetryCsv})`);
      expect(telemetry.map((row) => `${row.device_id}/${row.seq}/${row.owner}`)).toEqual([
        'pi-a/2/Ada',
        'pi-a/3/Ada',
        'pi-a/4/Ada',
        'pi-ghost/1/null',
        'pi-ghost/2/null',
      ]);
      const coffees = await read(`SELECT event_id FROM (${queries.coffeesCsv})`);
      expect(coffees.map((row) => row.event_id)).toEqual(['e-ok-1', 'e-ok-2', 'e-ghost']);

      const wider = buildAthenaExportQueries(DAY, { ...OPTIONS, ingestMarginDays: 3 });
      expect(await read(`SELECT count(*) AS n FROM (${wider.telemetryCsv})`)).toEqual([{ n: 6n }]);
    });
  });
});
