import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDeviceRepository, type Device } from '../../db/device-repository.js';
import { exportDay } from '../../lake/export/export-day.js';
import { InvalidExportDayError } from '../../lake/export/export-errors.js';
import { type ExportReport, formatExportReport } from '../../lake/export/export-report.js';
import { parseExportDay, previousUtcDay } from '../../lake/export/export-window.js';
import { bucketNameProblem } from '../../lake/export/photo-url-rule.js';
import { createLakeViews } from '../../lake/views.js';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli-io.js';
import { chooseDatabase } from '../database-choice.js';
import { DEFAULT_LAKE_DIR, LAKE_DIR_ENV } from '../lake-dir.js';
import { requireCurrentSchema } from '../schema-check.js';

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

function parse(argv: readonly string[]) {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    const seen = new Set<string>();
    for (const token of parsed.tokens) {
      if (token.kind !== 'option') continue;
      if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
      seen.add(token.name);
    }
    if (parsed.positionals.length > 0) {
      throw new UsageError(`unexpected arguments: ${parsed.positionals.join(' ')}`);
    }
    return parsed.values;
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} is empty`);
  return value;
}

function exportCommand(argv: readonly string[], io: CliIo): ExportCommand | 'help' {
  const values = parse(argv);
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

  const lake = nonEmpty('--lake', values.lake) ?? fromEnv(LAKE_DIR_ENV) ?? DEFAULT_LAKE_DIR;
  return {
    day,
    lakeDir: resolve(io.cwd ?? process.cwd(), lake),
    databaseUrl: nonEmpty('--database', values.database),
    photoBucket,
    json: values.json === true,
  };
}

/**
 * The registry's devices. A registry that is not there (no SQLite file yet) is not a reason to
 * skip the export: it goes on without enrichment, and stderr says so. One that is there but
 * unreachable or not migrated fails the command — an export silently missing its owners would
 * look like the registry had none.
 */
async function registryDevices(databaseUrl: string | undefined, io: CliIo): Promise<Device[]> {
  const choice = chooseDatabase(
    { url: databaseUrl, secret: undefined, host: undefined, name: undefined },
    io,
    { mayCreate: false },
  );
  io.stderr.write(`coffee-iot export: registry: ${choice.description}\n`);
  let database: Awaited<ReturnType<typeof choice.open>>;
  try {
    database = await choice.open();
  } catch (error) {
    // Without mayCreate, open() throws CommandFailedError only for a SQLite file that is not there.
    if (!(error instanceof CommandFailedError)) throw error;
    io.stderr.write(
      `coffee-iot export: note: ${error.message}; exporting without the registry (owner, location and model empty)\n`,
    );
    return [];
  }
  try {
    await requireCurrentSchema(database);
    return await createDeviceRepository(database).listDevices();
  } finally {
    await database.close().catch((error: unknown) => {
      io.stderr.write(
        `coffee-iot export: warning: closing the registry failed: ${(error as Error).message}\n`,
      );
    });
  }
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
export async function runExport(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = exportCommand(argv, io);
    if (command === 'help') {
      io.stdout.write(EXPORT_USAGE);
      return EXIT_OK;
    }
    const devices = await registryDevices(command.databaseUrl, io);
    const report = await exportWithDuckDb(command, devices, io);
    io.stdout.write(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatExportReport(report));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`coffee-iot export: ${error.message}\nRun "coffee-iot export --help" for usage.\n`);
      return EXIT_USAGE;
    }
    const name =
      error instanceof Error && !['Error', 'CommandFailedError'].includes(error.name)
        ? `${error.name}: `
        : '';
    io.stderr.write(`coffee-iot export: ${name}${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
