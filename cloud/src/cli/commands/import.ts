import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importCsv } from '../../lake/import/import-csv.js';
import { ImportHeaderError, ImportInterruptedError } from '../../lake/import/import-errors.js';
import { ImportProgressView, type ProgressOutput } from '../../lake/import/import-progress-view.js';
import { type ImportProgress, importedEverything } from '../../lake/import/import-report.js';
import {
  REFUSED_CSV_HEADER,
  refusedCsvRow,
  renderImportReport,
} from '../../lake/import/import-report-text.js';
import {
  type ImportTarget,
  LocalLakeUnavailableError,
  openLakeTarget,
  openStreamTarget,
} from '../../lake/import/import-target.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli-io.js';
import { DEFAULT_LAKE_DIR, LAKE_DIR_ENV } from '../lake-dir.js';

export const IMPORT_USAGE = `Usage: coffee-iot import FILE.csv [--lake DIR | --stream NAME | --delivery-stream NAME [--region R] [--endpoint URL]] [--report FILE]

Backfills telemetry from a CSV file. Bad lines are refused with their line number and reason; the
good ones are imported. Importing the same file again adds nothing new.

The CSV: a header row, then one reading per line.
  required columns  device_id, ts, temperature, humidity, pressure, pitch, roll, yaw
  optional columns  seq, temperature_ambient, temperature_cpu, accel_x, accel_y, accel_z,
                    gyro_x, gyro_y, gyro_z, mag_x, mag_y, mag_z
  Names are case-insensitive, snake_case or camelCase (temperatureAmbient); any other column is
  an error. ts is ISO-8601 with Z or an offset (2026-03-14T08:15:30.250Z), or epoch seconds or
  milliseconds. Without seq, seq is the ts in epoch milliseconds.

Target (default: the local lake):
  --lake DIR        the local lake (default $${LAKE_DIR_ENV}, else ${DEFAULT_LAKE_DIR})
  --stream NAME     a Kinesis ingest stream instead (a stack on the stream ingest path)
  --delivery-stream NAME
                    the telemetry Firehose delivery stream instead (a stack on the default
                    direct path: its TelemetryDeliveryStream output)
  --region R        their region (default: the AWS SDK's)
  --endpoint URL    a local endpoint (kinesalite, moto)

Options:
  --report FILE     write every refused line to FILE as CSV (line,reason)
  -h, --help        show this help

Exit status: 0 every line imported, 1 some lines refused (the good ones are imported) or the
import failed, 2 bad usage, unreadable file or bad header.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  lake: { type: 'string' },
  stream: { type: 'string' },
  'delivery-stream': { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  report: { type: 'string' },
} as const;

interface ImportCommand {
  file: string;
  target:
    | { kind: 'lake'; dir: string }
    | { kind: 'kinesis'; streamName: string; region?: string; endpoint?: string }
    | { kind: 'firehose'; deliveryStream: string; region?: string; endpoint?: string };
  reportFile: string | undefined;
}

/** Bad usage of `coffee-iot import`: exit 2. */
class ImportUsageError extends Error {
  override readonly name = 'ImportUsageError';
}

/** `coffee-iot import FILE.csv …` (IMPORT_USAGE). Returns the exit code; never throws. */
export async function runImport(argv: readonly string[], io: CliIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  let command: ImportCommand | 'help';
  try {
    command = parseImportArgs(argv, io.env, cwd);
  } catch (error) {
    if (!(error instanceof ImportUsageError)) throw error;
    return usage(io, error.message);
  }
  if (command === 'help') {
    io.stdout.write(IMPORT_USAGE);
    return EXIT_OK;
  }
  const { file } = command;
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return fail(io, EXIT_USAGE, `${file} is not a file`);
    size = info.size;
  } catch (error) {
    return fail(io, EXIT_USAGE, `cannot read ${file}: ${(error as Error).message}`);
  }
  let reportOut: WriteStream | undefined;
  if (command.reportFile !== undefined) {
    try {
      reportOut = await openReportFile(command.reportFile);
    } catch (error) {
      return fail(
        io,
        EXIT_USAGE,
        `cannot write the report ${command.reportFile}: ${(error as Error).message}`,
      );
    }
  }
  let target: ImportTarget;
  try {
    target =
      command.target.kind === 'lake'
        ? await openLakeTarget(command.target.dir, io.now ?? (() => new Date()))
        : openRemoteTarget(command.target);
  } catch (error) {
    reportOut?.destroy();
    if (error instanceof LocalLakeUnavailableError) return fail(io, EXIT_FAILURE, error.message);
    return fail(io, EXIT_FAILURE, `cannot open the target: ${describe(error)}`);
  }
  try {
    return await importInto(command, size, target, reportOut, io);
  } finally {
    await target.close().catch((error: unknown) => {
      io.stderr.write(
        `coffee-iot import: warning: closing ${target.description} failed: ${describe(error)}\n`,
      );
    });
  }
}

async function importInto(
  command: ImportCommand,
  size: number,
  target: ImportTarget,
  reportOut: WriteStream | undefined,
  io: CliIo,
): Promise<number> {
  const now = io.now ?? (() => new Date());
  const view = new ImportProgressView(io.stderr as ProgressOutput, { clock: () => now().getTime() });
  let last: ImportProgress = { bytesRead: 0, totalBytes: size, lines: 0, accepted: 0, refused: 0 };
  try {
    const report = await importCsv(createReadStream(command.file), target.stream, {
      totalBytes: size,
      now,
      maxRefusedDetails: 20,
      onProgress: (progress) => {
        last = progress;
        view.update(progress);
      },
      ...(reportOut ? { onRefused: (refused) => reportOut.write(refusedCsvRow(refused)) } : {}),
    });
    view.finish(last);
    if (reportOut) {
      if (report.stoppedAt) reportOut.write(refusedCsvRow(report.stoppedAt));
      await closeReportFile(reportOut);
    }
    io.stdout.write(renderImportReport(report, command.file, target.description));
    if (reportOut && report.refused > 0) io.stdout.write(`Refused lines written to ${command.reportFile}\n`);
    return importedEverything(report) ? EXIT_OK : EXIT_FAILURE;
  } catch (error) {
    view.abort();
    if (reportOut) await closeReportFile(reportOut).catch(() => undefined);
    if (error instanceof ImportHeaderError) return fail(io, EXIT_USAGE, `${command.file}: ${error.message}`);
    if (error instanceof ImportInterruptedError)
      return fail(io, EXIT_FAILURE, `${command.file}: ${error.message}`);
    return fail(io, EXIT_FAILURE, `${command.file}: ${describe(error)}`);
  }
}

function parseImportArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ImportCommand | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new ImportUsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new ImportUsageError(
      positionals.length === 0
        ? 'name the CSV file to import'
        : `expected one CSV file, got ${positionals.length}`,
    );
  }
  for (const flag of ['lake', 'stream', 'delivery-stream', 'region', 'endpoint', 'report'] as const) {
    if (values[flag] === '') throw new ImportUsageError(`--${flag} is empty`);
  }
  const targets = (['lake', 'stream', 'delivery-stream'] as const).filter(
    (flag) => values[flag] !== undefined,
  );
  if (targets.length > 1) {
    throw new ImportUsageError(
      `give one of --lake, --stream or --delivery-stream, not ${targets.map((t) => `--${t}`).join(' and ')}`,
    );
  }
  if (values.stream === undefined && values['delivery-stream'] === undefined) {
    for (const flag of ['region', 'endpoint'] as const) {
      if (values[flag] !== undefined) {
        throw new ImportUsageError(`--${flag} applies only with --stream or --delivery-stream`);
      }
    }
  }
  if (values.endpoint !== undefined && !/^https?:\/\/./.test(values.endpoint)) {
    throw new ImportUsageError(`--endpoint must be an http(s) URL, got "${values.endpoint}"`);
  }
  const file = resolve(cwd, positionals[0] as string);
  const reportFile = values.report === undefined ? undefined : resolve(cwd, values.report);
  const remote = {
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
  };
  if (values.stream !== undefined) {
    return { file, reportFile, target: { kind: 'kinesis', streamName: values.stream, ...remote } };
  }
  if (values['delivery-stream'] !== undefined) {
    return {
      file,
      reportFile,
      target: { kind: 'firehose', deliveryStream: values['delivery-stream'], ...remote },
    };
  }
  // A blank $COFFEE_IOT_LAKE_DIR counts as unset, as for the other lake commands.
  const fromEnv = env[LAKE_DIR_ENV]?.trim() ? env[LAKE_DIR_ENV] : undefined;
  const dir = values.lake ?? fromEnv ?? DEFAULT_LAKE_DIR;
  return { file, reportFile, target: { kind: 'lake', dir: resolve(cwd, dir) } };
}

async function openReportFile(path: string): Promise<WriteStream> {
  const out = createWriteStream(path);
  await once(out, 'open');
  out.write(REFUSED_CSV_HEADER);
  return out;
}

async function closeReportFile(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`coffee-iot import: ${message}\nRun "coffee-iot import --help" for usage.\n`);
  return EXIT_USAGE;
}

function fail(io: CliIo, code: number, message: string): number {
  io.stderr.write(`coffee-iot import: ${message}\n`);
  return code;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
}

/** The Kinesis stream or the Firehose delivery stream the command names. */
function openRemoteTarget(target: Exclude<ImportCommand['target'], { kind: 'lake' }>): ImportTarget {
  const { region, endpoint } = target;
  const options = {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
  return target.kind === 'kinesis'
    ? openStreamTarget({ kind: 'kinesis', streamName: target.streamName }, options)
    : openStreamTarget({ kind: 'firehose', deliveryStream: target.deliveryStream }, options);
}
