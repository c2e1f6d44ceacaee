import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { exportKey, localPath } from '../layout.js';
import { ExportFailedError, InvalidBucketNameError } from './export-errors.js';
import type { DayExported, ExportReport, LeftOutCoffees, UnregisteredDevice } from './export-report.js';
import { coffeeExportSelect, inputCountsSelect, telemetryExportSelect } from './export-sql.js';
import { exportWindow } from './export-window.js';
import {
  copyParquetToCsv,
  copyToParquet,
  exportedDevicesSelect,
  leftOutSelect,
  localExportContext,
} from './local-export-sql.js';
import { bucketNameProblem, PHOTO_URL_PROBLEMS, type PhotoUrlProblem } from './photo-url-rule.js';
import { replaceDirectory, stagingDirectoryFor } from './replace-directory.js';

export interface ExportDayOptions {
  /** The bucket the photo keys live in: photo_url = s3://{photoBucket}/{photo_key}. */
  readonly photoBucket: string;
  readonly now?: () => Date;
}

/** The files of a day's export, in the order they are written. */
export const EXPORT_FILES = Object.freeze([
  'telemetry.parquet',
  'telemetry.csv',
  'coffees.parquet',
  'coffees.csv',
] as const);

type Row = Record<string, unknown>;

async function rows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

async function step<T>(day: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ExportFailedError(day, what, { cause: error });
  }
}

/**
 * Exports one UTC day of the lake to `{lakeDir}/exports/{day}/`: the day's readings and coffees
 * joined with the device registry, as CSV and Parquet. `connection` must have the views
 * `telemetry`, `coffees` and `devices` (createLakeViews). The files are written to a staging
 * directory and swapped in whole, replacing an earlier export of the day: running it again gives
 * the same files. A day without readings or coffees writes nothing.
 */
export async function exportDay(
  connection: DuckDBConnection,
  lakeDir: string,
  day: string,
  options: ExportDayOptions,
): Promise<ExportReport> {
  const window = exportWindow(day, 0);
  const bucketProblem = bucketNameProblem(options.photoBucket);
  if (bucketProblem !== undefined) throw new InvalidBucketNameError(`photo bucket: ${bucketProblem}`);
  const context = localExportContext(window, options.photoBucket);

  const [counts] = await step(day, 'counting the day’s rows', () =>
    rows(connection, inputCountsSelect(context)),
  );
  if (Number(counts?.telemetry_rows ?? 0) === 0 && Number(counts?.coffee_rows ?? 0) === 0) {
    return { status: 'nothing-to-export', day, message: `nothing to export for ${day}` };
  }

  const key = exportKey(day);
  const target = localPath(lakeDir, key);
  const staging = await step(day, 'creating the staging directory', () => stagingDirectoryFor(target));
  try {
    const written = await writeFiles(connection, context, staging, day);
    checkNothingLost(day, counts, written);
    await step(day, 'moving the export into place', () => replaceDirectory(staging, target));
    return {
      status: 'exported',
      day,
      exportedAt: (options.now ?? (() => new Date()))().toISOString(),
      directory: target,
      files: EXPORT_FILES.map((file) => `${key}/${file}`),
      ...written,
    };
  } finally {
    // Gone after a successful swap; after a failure it holds a partial export nobody should read.
    await rm(staging, { recursive: true, force: true });
  }
}

type WrittenFacts = Pick<DayExported, 'rows' | 'devices' | 'coffeesLeftOut'>;

/**
 * Every reading of the day is written once, and every coffee is written or counted as left out.
 * A registry holding a thing name twice would repeat rows through the join; a lake changing under
 * the export would lose some: either way the export fails rather than publish the wrong rows.
 */
function checkNothingLost(day: string, counts: Row | undefined, written: WrittenFacts): void {
  const readings = Number(counts?.telemetry_rows ?? 0);
  const coffees = Number(counts?.coffee_rows ?? 0);
  const accounted = written.rows.coffees + written.coffeesLeftOut.total;
  if (written.rows.telemetry === readings && accounted === coffees) return;
  throw new ExportFailedError(day, 'checking the rows written', {
    cause: new Error(
      `the day has ${readings} readings and ${coffees} coffees, but ${written.rows.telemetry} readings and ` +
        `${accounted} coffees (${written.rows.coffees} written, ${written.coffeesLeftOut.total} left out) were accounted for`,
    ),
  });
}

async function writeFiles(
  connection: DuckDBConnection,
  context: ReturnType<typeof localExportContext>,
  directory: string,
  day: string,
): Promise<WrittenFacts> {
  const path = (file: (typeof EXPORT_FILES)[number]) => join(directory, file);
  const copy = async (what: string, sql: string) => {
    const [result] = await step(day, `writing ${what}`, () => rows(connection, sql));
    return Number(result?.Count ?? 0);
  };
  const telemetry = await copy(
    'telemetry.parquet',
    copyToParquet(telemetryExportSelect(context), path('telemetry.parquet')),
  );
  await copy('telemetry.csv', copyParquetToCsv(path('telemetry.parquet'), path('telemetry.csv')));
  const coffees = await copy(
    'coffees.parquet',
    copyToParquet(coffeeExportSelect(context), path('coffees.parquet')),
  );
  await copy('coffees.csv', copyParquetToCsv(path('coffees.parquet'), path('coffees.csv')));

  const leftOut = await step(day, 'counting the coffees left out', () =>
    rows(connection, leftOutSelect(context)),
  );
  const byReason: LeftOutCoffees[] = leftOut.map((row) => {
    const problem = row.problem as PhotoUrlProblem;
    return {
      problem,
      description: PHOTO_URL_PROBLEMS[problem],
      count: Number(row.count),
      eventIds: (row.event_ids as string[]).map(String),
    };
  });

  const devices = await step(day, 'matching devices with the registry', () =>
    rows(connection, exportedDevicesSelect(path('telemetry.parquet'), path('coffees.parquet'))),
  );
  const unregistered: UnregisteredDevice[] = devices
    .filter((row) => row.registered !== true)
    .map((row) => ({
      deviceId: String(row.device_id),
      readings: Number(row.readings),
      coffees: Number(row.coffees),
    }));

  return {
    rows: { telemetry, coffees },
    devices: {
      registered: devices.filter((row) => row.registered === true).map((row) => String(row.device_id)),
      unregistered,
    },
    coffeesLeftOut: { total: byReason.reduce((sum, group) => sum + group.count, 0), byReason },
  };
}
