import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Device } from '../../db/device-repository.js';
import { exportDay } from '../../lake/export/export-day.js';
import { InvalidExportDayError } from '../../lake/export/export-errors.js';
import { type ExportReport, formatExportReport } from '../../lake/export/export-report.js';
import { parseExportDay, previousUtcDay } from '../../lake/export/export-window.js';
import { bucketNameProblem } from '../../lake/export/photo-url-rule.js';
import { createLakeViews } from '../../lake/views.js';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { nonEmpty, parseCommandLine, runLakeCommand } from '../lake-command.js';
import { DEFAULT_LAKE_DIR, LAKE_DIR_ENV, resolveLakeDir } from '../lake-dir.js';
import { registryDevices } from '../lake-registry.js';

export const PHOTO_BUCKET_ENV = 'COFFEE_IOT_PHOTO_BUCKET';
const DEFAULT_PHOTO_BUCKET = 'coffee-photos';

export const EXPORT_USAGE = `Usage: coffee-iot export [--date yyyy-mm-dd] [--lake DIR] [--database URL] [--photo-bucket NAME] [--json]

Exports one UTC day of the local lake to DIR/exports/DAY/ as telemetry.csv, telemetry.parquet,
coffees.csv and coffees.parquet: the readings measured that day and the coffees taken that day
(analysed that day when the capture time is unknown), each row with its device's owner, location
and model from the registry. A device the registry does not know keeps its rows, with those
fields empty. Coffees whose photo URL (s3://BUCKET/PHOTO_KEY) is not valid are left out and
counted with the reason. Running it again replaces that day's export. A day with no readings and
no coffees writes nothing ("nothing to export for DAY").

  --date yyyy-mm-dd     the UTC day to export (default: yesterday, UTC)
  --lake DIR            the local lake (default $${LAKE_DIR_ENV}, else ${DEFAULT_LAKE_DIR})
  --database URL        the device registry, as for the other commands (default
                        $COFFEE_IOT_DATABASE_URL, else sqlite:.local/coffee-iot.sqlite); without
                        it the export goes on, owner, location and model empty, and says so
  --photo-bucket NAME   the bucket of the photos (default $${PHOTO_BUCKET_ENV}, else ${DEFAULT_PHOTO_BUCKET})
  --json                print the report as JSON
  -h, --help            show this help

Timestamps are written as YYYY-MM-DD HH:MM:SS.mmm (CSV) and millisecond TIMESTAMPs (Parquet),
which Athena reads. Exit status: 0 exported, or nothing to export; 1 the export failed; 2 bad usage.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  date: { type: 'string' },
  lake: { type: 'string' },
  database: { type: 'string' },
  'photo-bucket': { type: 'string' },
  json: { type: 'boolean' },
} as const;

interface ExportCommand {
  day: string;
  lakeDir: string;
  databaseUrl: string | undefined;
  photoBucket: string;
  json: boolean;
}

function exportCommand(argv: readonly string[], io: CliIo): ExportCommand | 'help' {
  const { values } = parseCommandLine(argv, OPTIONS, { allowPositionals: false });
  if (values.help === true) return 'help';
  const now = (io.now ?? (() => new Date()))();

  const day = nonEmpty('--date', values.date) ?? previousUtcDay(now);
  try {
    parseExportDay(day);
  } catch (error) {
    if (error instanceof InvalidExportDayError)
      throw new UsageError(`--date: ${error.message}`, { cause: error });
    throw error;
  }

  const fromEnv = (name: string) => (io.env[name]?.trim() ? io.env[name] : undefined);
  const bucketFlag = nonEmpty('--photo-bucket', values['photo-bucket']);
  const photoBucket = bucketFlag ?? fromEnv(PHOTO_BUCKET_ENV) ?? DEFAULT_PHOTO_BUCKET;
  const bucketProblem = bucketNameProblem(photoBucket);
  if (bucketProblem !== undefined) {
    throw new UsageError(
      `${bucketFlag === undefined ? `$${PHOTO_BUCKET_ENV}` : '--photo-bucket'}: ${bucketProblem}`,
    );
  }

  const lakeDir = resolveLakeDir(values.lake, io);
  return {
    day,
    lakeDir,
    databaseUrl: nonEmpty('--database', values.database),
    photoBucket,
    json: values.json === true,
  };
}

async function exportWithDuckDb(command: ExportCommand, devices: Device[], io: CliIo): Promise<ExportReport> {
  if (!existsSync(command.lakeDir)) {
    throw new CommandFailedError(`no lake at ${command.lakeDir}: give --lake DIR or set $${LAKE_DIR_ENV}`);
  }
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await createLakeViews(connection, command.lakeDir, devices);
      const options =
        io.now === undefined
          ? { photoBucket: command.photoBucket }
          : { photoBucket: command.photoBucket, now: io.now };
      return await exportDay(connection, command.lakeDir, command.day, options);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** `coffee-iot export …` with the arguments after `export` (EXPORT_USAGE). Returns the exit code; never throws. */
export function runExport(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(
    {
      name: 'export',
      usage: EXPORT_USAGE,
      parse: exportCommand,
      run: async (command) => {
        // Without the registry the export goes on, unenriched; an unreachable one fails it.
        const devices = await registryDevices(command.databaseUrl, io, {
          command: 'export',
          announce: true,
          whenMissing: 'exporting without the registry (owner, location and model empty)',
        });
        const report = await exportWithDuckDb(command, devices, io);
        io.stdout.write(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatExportReport(report));
        return EXIT_OK;
      },
    },
    argv,
    io,
  );
}
