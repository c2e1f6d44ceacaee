import { RAW_TABLE_NAMES } from '../glue-tables.js';
import { LAKE_PREFIXES } from '../layout.js';
import { type DayToken, tokenWindow } from './day-tokens.js';
import { DEVICES_TABLE_NAME } from './devices-table.js';
import { InvalidBucketNameError } from './export-errors.js';
import {
  coffeeExportSelect,
  type ExportSqlContext,
  inputCountsSelect,
  telemetryExportSelect,
} from './export-sql.js';
import { type ExportWindow, exportWindow } from './export-window.js';
import { bucketNameProblem } from './photo-url-rule.js';
import { ATHENA_DIALECT, sqlIdentifier, sqlString } from './sql-dialect.js';

/**
 * The daily export in Athena: the same SELECTs as the local export (export-sql.ts), over the Glue
 * tables, reading only the ingest partitions near the day.
 *
 * Ingest time and measurement time differ — a device catching up after an outage sends hours of
 * readings at once — so the day's rows are looked for in the ingest partitions of the day and
 * `ingestMarginDays` either side (default 1). Readings that reach the lake later than that after
 * they were measured (a CSV backfill of last month, a device offline for days) are not in that
 * day's Athena export; the local export reads every partition and has them.
 */
export interface AthenaExportOptions {
  /** The Glue database of the lake tables. */
  readonly database: string;
  /** The bucket exports/{day}/ is written to. */
  readonly outputBucket: string;
  /** The bucket the photo keys live in: photo_url = s3://{photoBucket}/{photo_key}. */
  readonly photoBucket: string;
  readonly ingestMarginDays?: number;
  /**
   * Table names in the Glue database. Default: the raw tables telemetry_all and coffees_all, which
   * the export deduplicates itself within the partitions it reads (export-sql.ts says why not the
   * views), and the registry snapshot devices (devices-table.ts).
   */
  readonly tables?: Partial<Record<'telemetry' | 'coffees' | 'devices', string>>;
}

export const DEFAULT_INGEST_MARGIN_DAYS = 1;

/** The tables the export reads unless told otherwise: what the stack creates. */
export const DEFAULT_TABLES = Object.freeze({
  telemetry: RAW_TABLE_NAMES.telemetry,
  coffees: RAW_TABLE_NAMES.coffees,
  devices: DEVICES_TABLE_NAME,
});

/** The statements of one day's export, run in this order (the four writes in parallel). */
export interface AthenaExportQueries {
  /** One row, the columns INPUT_COUNT_COLUMNS: 0 readings and 0 coffees → nothing to export. */
  readonly count: string;
  /** UNLOAD … TO s3://{outputBucket}/exports/{day}/telemetry/ as Parquet. */
  readonly telemetryParquet: string;
  readonly coffeesParquet: string;
  /**
   * Plain SELECTs: Athena writes their result as one CSV file with a header row, quoted fields and
   * empty NULLs, which the state machine copies to exports/{day}/{table}.csv. (UNLOAD's TEXTFILE
   * writes no header, `\N` for NULL and does not quote fields holding a comma.)
   */
  readonly telemetryCsv: string;
  readonly coffeesCsv: string;
}
export type AthenaExportQueryName = keyof AthenaExportQueries;

/** Where a day's export lands in S3 (keys under the output bucket). */
export function athenaExportKeys(day: string) {
  const prefix = `${LAKE_PREFIXES.exports}/${day}`;
  return {
    prefix: `${prefix}/`,
    telemetryParquet: `${prefix}/telemetry/`,
    coffeesParquet: `${prefix}/coffees/`,
    telemetryCsv: `${prefix}/telemetry.csv`,
    coffeesCsv: `${prefix}/coffees.csv`,
  };
}

function unload(select: string, bucket: string, key: string): string {
  return `UNLOAD (
${select}
) TO ${sqlString(`s3://${bucket}/${key}`)}
WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}

function checkOptions(options: AthenaExportOptions): number {
  for (const [name, bucket] of [
    ['photoBucket', options.photoBucket],
    ['outputBucket', options.outputBucket],
  ] as const) {
    const problem = bucketNameProblem(bucket);
    if (problem !== undefined) throw new InvalidBucketNameError(`${name}: ${problem}`);
  }
  const margin = options.ingestMarginDays ?? DEFAULT_INGEST_MARGIN_DAYS;
  if (!Number.isInteger(margin) || margin < 0 || margin > 7) {
    throw new RangeError(`ingestMarginDays must be a whole number of days from 0 to 7, got ${margin}`);
  }
  return margin;
}

function queriesFor(window: ExportWindow, options: AthenaExportOptions): AthenaExportQueries {
  const table = (name: 'telemetry' | 'coffees' | 'devices') =>
    `${sqlIdentifier(options.database)}.${sqlIdentifier(options.tables?.[name] ?? DEFAULT_TABLES[name])}`;
  const context: ExportSqlContext = {
    dialect: ATHENA_DIALECT,
    tables: { telemetry: table('telemetry'), coffees: table('coffees'), devices: table('devices') },
    window,
    photoBucket: options.photoBucket,
    pruneIngestPartitions: true,
    deduplicate: true,
  };
  const keys = athenaExportKeys(window.day);
  return {
    count: inputCountsSelect(context),
    telemetryParquet: unload(telemetryExportSelect(context), options.outputBucket, keys.telemetryParquet),
    coffeesParquet: unload(coffeeExportSelect(context), options.outputBucket, keys.coffeesParquet),
    telemetryCsv: telemetryExportSelect(context),
    coffeesCsv: coffeeExportSelect(context),
  };
}

/** The export's statements for one day (yyyy-mm-dd, UTC). */
export function buildAthenaExportQueries(day: string, options: AthenaExportOptions): AthenaExportQueries {
  const margin = checkOptions(options);
  return queriesFor(exportWindow(day, margin), options);
}

/** The same statements with the day left as tokens, for the state machine to fill in (day-tokens.ts). */
export function buildAthenaExportQueryTemplates(options: AthenaExportOptions): {
  queries: AthenaExportQueries;
  tokens: readonly DayToken[];
} {
  const margin = checkOptions(options);
  const { window, tokens } = tokenWindow(margin);
  return { queries: queriesFor(window, options), tokens };
}
