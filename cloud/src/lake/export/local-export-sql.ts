import type { ExportSqlContext } from './export-sql.js';
import { coffeeDaySelect } from './export-sql.js';
import type { ExportWindow } from './export-window.js';
import { DUCKDB_DIALECT, sqlString } from './sql-dialect.js';

/** How many event ids the report names per reason a coffee was left out. */
export const EXAMPLE_EVENT_IDS = 5;

/** The local lake through the views createLakeViews makes: every partition read (complete, small). */
export function localExportContext(window: ExportWindow, photoBucket: string): ExportSqlContext {
  return {
    dialect: DUCKDB_DIALECT,
    tables: { telemetry: 'telemetry', coffees: 'coffees', devices: 'devices' },
    window,
    photoBucket,
    pruneIngestPartitions: false,
    deduplicate: false,
  };
}

/** COPY … TO a Parquet file; DuckDB answers with the number of rows written. */
export function copyToParquet(select: string, path: string): string {
  return `COPY (${select}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION snappy)`;
}

/**
 * The CSV is written from the Parquet file just written, so both hold the same rows in the same
 * order. Timestamps as `YYYY-MM-DD HH:MM:SS.mmm` (what Athena's TIMESTAMP reads from text),
 * booleans true/false, NULL as an empty field, a header row.
 */
export function copyParquetToCsv(parquetPath: string, csvPath: string): string {
  return (
    `COPY (SELECT * FROM read_parquet(${sqlString(parquetPath)})) TO ${sqlString(csvPath)} ` +
    `(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%g')`
  );
}

/** The coffees left out, per reason, with a few of their event ids. */
export function leftOutSelect(context: ExportSqlContext): string {
  return `SELECT photo_problem AS problem, count(*) AS count,
  list(event_id ORDER BY event_id)[1:${EXAMPLE_EVENT_IDS}] AS event_ids
FROM (${coffeeDaySelect(context)}) x
WHERE photo_problem IS NOT NULL
GROUP BY photo_problem ORDER BY photo_problem`;
}

/** Every device in the written files, whether the registry knows it, and its rows per file. */
export function exportedDevicesSelect(telemetryParquet: string, coffeesParquet: string): string {
  return `SELECT x.device_id,
  EXISTS (SELECT 1 FROM devices d WHERE d.thing_name = x.device_id) AS registered,
  sum(x.readings) AS readings, sum(x.coffees) AS coffees
FROM (
  SELECT device_id, 1 AS readings, 0 AS coffees FROM read_parquet(${sqlString(telemetryParquet)})
  UNION ALL
  SELECT device_id, 0 AS readings, 1 AS coffees FROM read_parquet(${sqlString(coffeesParquet)})
) x
GROUP BY x.device_id ORDER BY x.device_id`;
}
