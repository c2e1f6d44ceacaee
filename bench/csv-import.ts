/**
 * `coffee-iot import` throughput (issue 16: ≥ 100,000 lines per CPU-second). Writes a realistic
 * CSV (every column of the format filled, several devices interleaved, ISO-8601 ts with
 * milliseconds, values with the decimals the agent writes) to a temporary file, then measures in
 * alternating rounds on that same file:
 *
 * - baseline: what any import of this file must at least do, in this process: stream the file
 *   (the same createReadStream as the command), decode it, split it into lines and the lines into
 *   fields, plus JSON.parse of the envelopes the import produced (decoding their bytes first). It
 *   checks nothing and builds no JSON: a floor, not a competitor. JSON.parse of the output stands
 *   in for making that JSON (JSON.stringify of the same data costs about as much).
 * - importCsv end to end into an in-memory IngestStream (keeps each record as given, no copy):
 *   CSV parsing, validation, identity, envelopes, batches, progress every 1,000 lines.
 *
 * With --cli (default on), a second figure: the command as a user runs it against the local
 * stack's stream (kinesalite, started here in this process): `node cloud/bin/coffee-iot.js import
 * FILE --stream NAME --endpoint URL` in a child process, whose own CPU time (every thread, from its
 * start to its exit: node start-up, loading the CLI and the AWS SDK, reading the file, signing and
 * sending PutRecords over HTTP) it reports at exit (bench/lib/cpu-at-exit.cjs). kinesalite's CPU is
 * this process's, not counted. Then the command's default target, the local lake (`--lake DIR`, a
 * fresh one each round): the same child process also writes the raw archive and the Parquet files.
 * It runs the BUILT CLI: run `npx tsc -b` first.
 *
 * Refuses when the 1-minute load average is above the core count unless --allow-busy, and prints
 * the load before and after. Progress on stderr; tables and one JSON line on stdout. Run:
 *   node --conditions=coffee-iot-source --import tsx bench/csv-import.ts [--lines N] [--devices D]
 *     [--rounds R] [--no-cli] [--allow-busy]
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { importCsv } from '../cloud/src/lake/import/index.js';
import type { IngestRecord, IngestStream } from '../cloud/src/stream/ingest-stream.js';
import { createActiveStream, startKinesalite } from '../test/src/stream/kinesalite-stack.js';
import { ratesOf, speedRatios, type Timed, timeAsync } from './lib/cpu-clock.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    devices: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    'no-cli': { type: 'boolean', default: false },
    'allow-busy': { type: 'boolean', default: false },
  },
});
const LINES = Number(values.lines);
const DEVICES = Number(values.devices);
const ROUNDS = Number(values.rounds);
for (const [flag, value] of [
  ['--lines', LINES],
  ['--devices', DEVICES],
  ['--rounds', ROUNDS],
] as const) {
  if (!(Number.isInteger(value) && value >= 1)) {
    console.error(`${flag} must be a whole number ≥ 1`);
    process.exit(2);
  }
}
const GOAL_PER_CPU_SECOND = 100_000;
const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(REPO, 'cloud/bin/coffee-iot.js');
const CPU_AT_EXIT = join(REPO, 'bench/lib/cpu-at-exit.cjs');
// The import refuses readings more than a day after its clock: the file ends before now.
const FIRST_TS_MS = Date.parse('2026-01-01T00:00:00.000Z');
const HEADER =
  'device_id,seq,ts,temperature,humidity,pressure,pitch,roll,yaw,temperature_ambient,temperature_cpu,' +
  'accel_x,accel_y,accel_z,gyro_x,gyro_y,gyro_z,mag_x,mag_y,mag_z';

let load0: ReturnType<typeof machineLoad>;
try {
  load0 = refuseIfBusy(values['allow-busy'], '--allow-busy');
} catch (error) {
  console.error((error as Error).message);
  process.exit(3);
}
note(`before: ${describeLoad(load0)}`);

/** One line as a Pi would have logged it: devices interleaved, one reading a second each. */
function csvLine(i: number): string {
  const device = i % DEVICES;
  const seq = Math.floor(i / DEVICES) + 1;
  const ts = new Date(FIRST_TS_MS + seq * 1000 + device * 7).toISOString();
  const wave = Math.sin(i / 500);
  const r = (value: number, digits: number) => value.toFixed(digits);
  return [
    `coffee-pi-${String(device + 1).padStart(2, '0')}`,
    seq,
    ts,
    r(31 + 4 * wave, 2),
    r(41 + 10 * wave, 2),
    r(1013.25 + 3 * wave, 2),
    r(180 + 179 * wave, 3),
    r(180 - 170 * wave, 3),
    r((i * 0.37) % 360, 3),
    r(22.5 + wave, 2),
    r(55.1 + 5 * wave, 1),
    r(0.01 * wave, 4),
    r(-0.02 * wave, 4),
    r(0.98 + 0.01 * wave, 4),
    r(0.002 * wave, 5),
    r(-0.001 * wave, 5),
    r(0.0005 * wave, 5),
    r(25.3 + wave, 3),
    r(-12.7 + wave, 3),
    r(40.1 - wave, 3),
  ].join(',');
}

async function writeCsv(path: string): Promise<number> {
  const out = createWriteStream(path);
  out.write(`${HEADER}\n`);
  for (let i = 0; i < LINES; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(i + 1000, LINES); j += 1) chunk += `${csvLine(j)}\n`;
    if (!out.write(chunk)) await new Promise<void>((done) => out.once('drain', () => done()));
  }
  await new Promise<void>((done, fail) => out.end((error?: Error | null) => (error ? fail(error) : done())));
  return (await stat(path)).size;
}

/** Keeps every record as given (no copy, no check): the cheapest stream importCsv can write to. */
class KeepingStream implements IngestStream {
  records: IngestRecord[] = [];
  async putRecords(records: readonly IngestRecord[]): Promise<void> {
    for (const record of records) this.records.push(record);
  }
}

interface ImportRound extends Timed {
  lines: number;
  accepted: number;
  records: IngestRecord[];
}

async function importRound(file: string, totalBytes: number): Promise<ImportRound> {
  const stream = new KeepingStream();
  let progressCalls = 0;
  const timed = await timeAsync(() =>
    importCsv(createReadStream(file), stream, {
      totalBytes,
      onProgress: () => {
        progressCalls += 1;
      },
    }),
  );
  const { result: report } = timed;
  if (report.accepted !== LINES || report.refused !== 0 || progressCalls < LINES / 1000) {
    throw new Error(
      `import: ${JSON.stringify({ ...report, refusedLines: report.refusedLines.slice(0, 3) })}`,
    );
  }
  return {
    wallMs: timed.wallMs,
    cpuMs: timed.cpuMs,
    lines: report.lines,
    accepted: report.accepted,
    records: stream.records,
  };
}

/** The floor (see the top of the file): stream, decode, split lines and fields; JSON.parse the output. */
async function baselineRound(
  file: string,
  records: readonly IngestRecord[],
): Promise<Timed & { lines: number }> {
  const decoder = new TextDecoder();
  const timed = await timeAsync(async () => {
    const text = new StringDecoder('utf8');
    let rest = '';
    let lines = -1; // the header
    let fields = 0;
    for await (const chunk of createReadStream(file)) {
      const parts = (rest + text.write(chunk as Buffer)).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        if (line === '') continue;
        lines += 1;
        fields += line.split(',').length;
      }
    }
    if (rest !== '') lines += 1;
    let readings = 0;
    for (const record of records) {
      readings += (JSON.parse(decoder.decode(record.data)) as { readings: unknown[] }).readings.length;
    }
    if (readings !== LINES || fields < LINES)
      throw new Error(`baseline: ${readings} readings, ${fields} fields`);
    return lines;
  });
  return { wallMs: timed.wallMs, cpuMs: timed.cpuMs, lines: timed.result };
}

interface CliRun extends Timed {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI in a child process; its CPU time comes from cpu-at-exit.cjs on fd 3. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((done, fail) => {
    const began = performance.now();
    const child = spawn(process.execPath, ['--require', CPU_AT_EXIT, CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let cpu = '';
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (data: Buffer) => {
      cpu += data.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const wallMs = performance.now() - began;
      try {
        const { userUs, systemUs } = JSON.parse(cpu) as { userUs: number; systemUs: number };
        done({ code: code ?? -1, stdout, stderr, wallMs, cpuMs: (userUs + systemUs) / 1000 });
      } catch {
        fail(new Error(`the CLI reported no CPU time (exit ${code}): ${stderr.slice(-500)}`));
      }
    });
  });
}

const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-csv-import-'));
const file = join(dir, 'readings.csv');
note(`writing ${LINES.toLocaleString('en')} lines, ${DEVICES} devices, every column filled`);
const bytes = await writeCsv(file);
note(`${fixed(bytes / 1e6)} MB`);

const imports: ImportRound[] = [];
const baselines: (Timed & { lines: number })[] = [];
let records: IngestRecord[] = [];
const cliRuns: CliRun[] = [];
const cliLakeRuns: CliRun[] = [];
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    note(`round ${round + 1}/${ROUNDS}: importCsv`);
    const run = await importRound(file, bytes);
    records = run.records;
    imports.push({ ...run, records: [] });
    note(`round ${round + 1}/${ROUNDS}: baseline`);
    baselines.push(await baselineRound(file, records));
  }
  if (!values['no-cli']) {
    note('starting kinesalite (the local stack stream) for the CLI run');
    const kinesalite = await startKinesalite();
    try {
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'KINESALITE',
        AWS_SECRET_ACCESS_KEY: 'KINESALITE',
      };
      // One stream for every round (kinesalite allows 10 shards in all): it holds each round's
      // records, as the local stack's stream does until the lake has read them.
      const name = 'csv-import-bench';
      await createActiveStream(kinesalite.client, name, 4);
      for (let round = 0; round < ROUNDS; round += 1) {
        note(`round ${round + 1}/${ROUNDS}: coffee-iot import --stream ${name}`);
        const run = await runCli(
          ['import', file, '--stream', name, '--region', 'eu-west-1', '--endpoint', kinesalite.endpoint],
          env,
        );
        if (run.code !== 0)
          throw new Error(`coffee-iot import exited ${run.code}: ${run.stderr.slice(-800)}`);
        cliRuns.push(run);
      }
    } finally {
      await kinesalite.stop();
    }
    // The command's default target: the local lake, written in the command's own process (raw
    // archive, transform, Parquet), a fresh lake each round so every round writes every reading.
    for (let round = 0; round < ROUNDS; round += 1) {
      note(`round ${round + 1}/${ROUNDS}: coffee-iot import --lake (a fresh lake)`);
      const lake = join(dir, `lake-${round}`);
      const run = await runCli(['import', file, '--lake', lake], process.env);
      if (run.code !== 0) throw new Error(`coffee-iot import exited ${run.code}: ${run.stderr.slice(-800)}`);
      cliLakeRuns.push(run);
      await rm(lake, { recursive: true, force: true });
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const load1 = machineLoad();
note(`after: ${describeLoad(load1)}`);

const best = (runs: readonly Timed[]) => runs.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
const bestImport = best(imports);
const bestBaseline = best(baselines);
const ratios = imports.map((run, i) => speedRatios(run, baselines[i] as Timed).cpu);
const importRates = ratesOf(LINES, bestImport);
const baselineRates = ratesOf(LINES, bestBaseline);
const medianImportCpu = median(imports.map((run) => run.cpuMs));
const rows: (string | number)[][] = [
  [
    'baseline: read, split, JSON.parse',
    fixed(bestBaseline.cpuMs / 1000, 2),
    fixed(median(baselines.map((r) => r.cpuMs)) / 1000, 2),
    fixed(bestBaseline.wallMs / 1000, 2),
    Math.round(baselineRates.perCpuSecond).toLocaleString('en'),
    '1.00',
    '',
  ],
  [
    'importCsv → memory stream',
    fixed(bestImport.cpuMs / 1000, 2),
    fixed(medianImportCpu / 1000, 2),
    fixed(bestImport.wallMs / 1000, 2),
    Math.round(importRates.perCpuSecond).toLocaleString('en'),
    `${fixed(Math.max(...ratios), 3)} / ${fixed(median(ratios), 3)}`,
    verdict(importRates.perCpuSecond >= GOAL_PER_CPU_SECOND),
  ],
];
interface CliFigures {
  bestCpuMs: number;
  medianCpuMs: number;
  wallMs: number;
  linesPerCpuSecond: number;
  linesPerWallSecond: number;
}
/** The best and median of a CLI variant's rounds, and its row in the table. */
function cliFigures(label: string, runs: readonly CliRun[]): CliFigures | null {
  if (runs.length === 0) return null;
  const bestCli = best(runs);
  const cliRates = ratesOf(LINES, bestCli);
  const figures = {
    bestCpuMs: bestCli.cpuMs,
    medianCpuMs: median(runs.map((r) => r.cpuMs)),
    wallMs: bestCli.wallMs,
    linesPerCpuSecond: cliRates.perCpuSecond,
    linesPerWallSecond: cliRates.perWallSecond,
  };
  rows.push([
    label,
    fixed(bestCli.cpuMs / 1000, 2),
    fixed(figures.medianCpuMs / 1000, 2),
    fixed(bestCli.wallMs / 1000, 2),
    Math.round(cliRates.perCpuSecond).toLocaleString('en'),
    fixed(speedRatios(bestCli, bestBaseline).cpu, 3),
    verdict(cliRates.perCpuSecond >= GOAL_PER_CPU_SECOND),
  ]);
  return figures;
}
const cli = cliFigures('coffee-iot import → kinesalite (child)', cliRuns);
const cliLake = cliFigures('coffee-iot import → local lake (child)', cliLakeRuns);
printTable(
  `CSV import, ${LINES.toLocaleString('en')} lines (${fixed(bytes / 1e6)} MB), ${DEVICES} devices, ${ROUNDS} rounds; goal ≥ ${GOAL_PER_CPU_SECOND.toLocaleString('en')} lines per CPU-second`,
  ['path', 'CPU s best', 'CPU s median', 'wall s', 'lines/CPU-s', 'x baseline (CPU) best / median', 'goal'],
  rows,
);
console.log(`\nbefore: ${describeLoad(load0)}\nafter:  ${describeLoad(load1)}`);
printJsonLine({
  bench: 'csv-import',
  lines: LINES,
  bytes,
  devices: DEVICES,
  rounds: ROUNDS,
  records: records.length,
  baseline: {
    bestCpuMs: bestBaseline.cpuMs,
    wallMs: bestBaseline.wallMs,
    linesPerCpuSecond: baselineRates.perCpuSecond,
  },
  importCsv: {
    bestCpuMs: bestImport.cpuMs,
    medianCpuMs: medianImportCpu,
    wallMs: bestImport.wallMs,
    linesPerCpuSecond: importRates.perCpuSecond,
    linesPerWallSecond: importRates.perWallSecond,
    speedRatioCpuBest: Math.max(...ratios),
    speedRatioCpuMedian: median(ratios),
  },
  cli,
  cliLake,
  goalLinesPerCpuSecond: GOAL_PER_CPU_SECOND,
  pass: importRates.perCpuSecond >= GOAL_PER_CPU_SECOND,
  loadBefore: load0.loadavg,
  loadAfter: load1.loadavg,
  cores: load0.cores,
  busy: load0.busy || load1.busy,
});
