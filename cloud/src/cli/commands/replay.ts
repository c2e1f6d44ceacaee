import { existsSync } from 'node:fs';
import { HOUR_MS, parseUtcTime, replayWindow, type TimeWindow } from '../../lake/local/hour-window.js';
import { InvalidReplayWindowError } from '../../lake/local/lake-errors.js';
import { type PartitionCounts, type ReplayReport, replayFromRaw } from '../../lake/local/replay.js';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { parseCommandLine, runLakeCommand } from '../lake-command.js';
import { DEFAULT_LAKE_DIR, LAKE_DIR_ENV, resolveLakeDir } from '../lake-dir.js';
import { formatTable } from '../text-table.js';

export const REPLAY_USAGE = `Usage: coffee-iot replay --from TIME --to TIME [--lake DIR] [--json]

Rebuilds the curated partitions (telemetry and coffees) and errors/ of every ingest hour in
[--from, --to) from the raw archive, with the current transform: after changing the transform,
or to compact an hour written in many small batches. Each partition is replaced, not appended
to: a reader (or a crash) sees its old files or its new ones, never a mix, and a replay cut short
after it committed is finished the next time the lake is opened. Running it twice gives the same
rows. Hours with curated data but no raw archive are left as they are, and listed.

  --from TIME, --to TIME   UTC, on whole hours: 2026-03-05, 2026-03-05T10, 2026-03-05T10:00Z…
  --lake DIR               the local lake (default $${LAKE_DIR_ENV}, else ${DEFAULT_LAKE_DIR})
  --json                   print the report as JSON
  -h, --help               show this help

Replay a window no one is writing to: rows ingested into a partition while it is being replaced
go with the old partition (they stay in raw/, and a second replay picks them up).

Exit status: 0 replayed; 1 the replay failed (the lake is left as it was, or as the replay
committed it); 2 bad usage or window.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  to: { type: 'string' },
  lake: { type: 'string' },
  json: { type: 'boolean' },
} as const;

interface ReplayCommand {
  window: TimeWindow;
  lakeDir: string;
  json: boolean;
}

function replayCommand(argv: readonly string[], io: CliIo): ReplayCommand | 'help' {
  const { values } = parseCommandLine(argv, OPTIONS, { allowPositionals: false });
  if (values.help === true) return 'help';
  const missing = (['from', 'to'] as const).filter((flag) => values[flag] === undefined);
  if (missing.length > 0)
    throw new UsageError(`replay needs ${missing.map((flag) => `--${flag}`).join(' and ')}`);
  let window: TimeWindow;
  try {
    window = replayWindow(parseUtcTime(values.from as string), parseUtcTime(values.to as string));
  } catch (error) {
    if (error instanceof InvalidReplayWindowError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  return { window, lakeDir: resolveLakeDir(values.lake, io), json: values.json === true };
}

const hourText = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function counts({ before, after }: PartitionCounts): string {
  if ((before ?? 0) === after) return String(after);
  return `${after} (was ${before ?? 'none'})`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function formatReplayReport(report: ReplayReport): string {
  const { totals } = report;
  const lines = [
    `replayed ingest hours ${hourText(report.from)} to ${hourText(report.to)} UTC from ${plural(totals.rawFiles, 'raw file')} (${plural(totals.records, 'record')})`,
  ];
  let text = `${lines.join('\n')}\n`;
  if (report.hours.length > 0) {
    text += `\n${formatTable(
      ['HOUR (UTC)', 'RAW FILES', 'RECORDS', 'TELEMETRY ROWS', 'COFFEE ROWS', 'REJECTED'],
      report.hours.map((hour) => [
        hourText(hour.hour),
        String(hour.rawFiles),
        String(hour.records),
        counts(hour.telemetry),
        counts(hour.coffees),
        counts(hour.errors),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right'],
    )}\n`;
  }
  text += `${plural(report.hours.length, 'partition hour')} replaced: ${plural(totals.telemetryRows, 'reading')}, ${plural(totals.coffeeRows, 'coffee')}, ${totals.rejected} refused (in errors/)\n`;
  text += `duplicates left out: ${plural(totals.duplicateReadings, 'reading')}, ${plural(totals.duplicateCoffees, 'coffee')}\n`;
  if (report.keptWithoutRaw.length > 0) {
    text += `kept as they are (no raw archive to rebuild them from):\n${report.keptWithoutRaw.map((key) => `  ${key}\n`).join('')}`;
  }
  return text;
}

/** `coffee-iot replay --from … --to …` with the arguments after `replay` (REPLAY_USAGE). Returns the exit code; never throws. */
export function runReplay(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand({ name: 'replay', usage: REPLAY_USAGE, parse: replayCommand, run: replay }, argv, io);
}

async function replay(command: ReplayCommand, io: CliIo): Promise<number> {
  if (!existsSync(command.lakeDir)) {
    throw new CommandFailedError(`no lake at ${command.lakeDir}: give --lake DIR or set $${LAKE_DIR_ENV}`);
  }
  const now = (io.now ?? (() => new Date()))();
  if (command.window.to.getTime() > Math.floor(now.getTime() / HOUR_MS) * HOUR_MS) {
    io.stderr.write(
      'coffee-iot replay: warning: the window reaches the current ingest hour; rows arriving during the replay may be left out of it (replay again afterwards)\n',
    );
  }
  const report = await replayFromRaw(command.lakeDir, command.window);
  io.stdout.write(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatReplayReport(report));
  return EXIT_OK;
}
