/**
 * Local lake write: readings through LocalLake.ingest (raw archive gzip + fsync, the transform,
 * curated Parquet through DuckDB), against JSON.parse of the same records and the transform
 * alone (into rows, and into columns as the lake does), in alternating rounds of the same run. Goals: ≥ 0.5x JSON.parse (issue 16), reported
 * per CPU-second (the process's CPU, every thread) and in wall time; ≥ 200,000 readings/s
 * (issue 5). Refuses on a busy machine unless --allow-busy. Run:
 *   node --conditions=coffee-iot-source --import tsx bench/lake-write.ts [--readings N] [--per-record R]
 *     [--devices D] [--batch B] [--inflight K] [--rounds N] [--allow-busy]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { openLocalLake } from '../cloud/src/lake/local/index.js';
import {
  emptyTransformOutput,
  SeenReadings,
  TelemetryColumns,
  transformIngestColumns,
  transformIngestRecords,
} from '../cloud/src/lake/transform.js';
import { createLakeViews } from '../cloud/src/lake/views.js';
import type { IngestRecord } from '../cloud/src/stream/ingest-stream.js';
import { ratesOf, speedRatios, startClock, type Timed } from './lib/cpu-clock.js';
import { directoryBytes, FIRST_READING_MS, telemetryStreamRecords } from './lib/lake-records.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '1000000' },
    'per-record': { type: 'string', default: '60' },
    devices: { type: 'string', default: '5' },
    batch: { type: 'string', default: '500' },
    inflight: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    'allow-busy': { type: 'boolean', default: false },
  },
});
const READINGS = Number(values.readings);
const PER_RECORD = Number(values['per-record']);
const DEVICES = Number(values.devices);
const BATCH = Number(values.batch);
const INFLIGHT = Number(values.inflight);
const ROUNDS = Number(values.rounds);
const GOAL_PER_S = 200_000;
/** Issue 16: the lake write at least half as fast as JSON.parse of the same records. */
const GOAL_RATIO = 0.5;
const decoder = new TextDecoder();

const loadBefore = refuseIfBusy(values['allow-busy'], '--allow-busy');
note(describeLoad(loadBefore));
note(`building ${READINGS} readings, ${PER_RECORD} per record, ${DEVICES} devices`);
const records = telemetryStreamRecords(READINGS, PER_RECORD, DEVICES);
const batches: IngestRecord[][] = [];
for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
const bytes = records.reduce((sum, record) => sum + record.data.byteLength, 0);
// Batches arrive a minute apart, starting once the last reading is taken: a reading is never
// from the future of its arrival (the transform refuses those), as when a fleet catches up.
const lastReadingMs = FIRST_READING_MS + Math.ceil(READINGS / DEVICES) * 1000;
const arrival = (batch: number) => new Date(lastReadingMs + 2_000 + batch * 60_000);

/** One step of one round: wall and CPU time of the whole process (every thread), and of the JS thread. */
interface Step extends Timed {
  jsMs: number;
}

async function measure(label: string, run: () => Promise<number>): Promise<Step> {
  const loop = performance.eventLoopUtilization();
  const clock = startClock();
  const produced = await run();
  const timed = clock.stop();
  const jsMs = performance.eventLoopUtilization(loop).active;
  if (produced !== READINGS) throw new Error(`${label}: ${produced} readings, expected ${READINGS}`);
  return { ...timed, jsMs };
}

async function parseAll(): Promise<number> {
  let n = 0;
  for (const record of records)
    n += (JSON.parse(decoder.decode(record.data)) as { readings: unknown[] }).readings.length;
  return n;
}

const inputsOf = (b: number) =>
  (batches[b] as IngestRecord[]).map((record, i) => ({
    id: `${b}:${i}`,
    data: record.data,
    arrivedAt: arrival(b),
    partitionKey: record.partitionKey,
  }));

async function transformAll(): Promise<number> {
  const seenReadings = new SeenReadings();
  let n = 0;
  for (let b = 0; b < batches.length; b += 1) {
    n += transformIngestRecords(inputsOf(b), { seenReadings }).telemetry.length;
  }
  return n;
}

/** What the lake's JS thread does per batch: the same transform into columns (one set reused, as the lake does). */
async function columnsAll(): Promise<number> {
  const seenReadings = new SeenReadings();
  const columns = new TelemetryColumns();
  let n = 0;
  for (let b = 0; b < batches.length; b += 1) {
    columns.clear();
    n += transformIngestColumns(
      inputsOf(b),
      { seenReadings },
      { ...emptyTransformOutput(), telemetry: columns },
    ).telemetry.rows;
  }
  return n;
}

const parent = await mkdtemp(join(tmpdir(), 'coffee-iot-lake-write-'));
let lastLake = '';
let rawBytes = 0;
let curatedBytes = 0;

async function ingestAll(): Promise<number> {
  if (lastLake !== '') await rm(lastLake, { recursive: true, force: true });
  lastLake = await mkdtemp(join(parent, 'lake-'));
  const lake = await openLocalLake(lastLake);
  let next = 0;
  let rows = 0;
  try {
    await Promise.all(
      Array.from({ length: INFLIGHT }, async () => {
        while (next < batches.length) {
          const b = next;
          next += 1;
          // Not `rows += await …`: that reads `rows` before the await and loses the other worker's adds.
          const report = await lake.ingest(batches[b] as IngestRecord[], arrival(b));
          rows += report.telemetryRows;
        }
      }),
    );
  } finally {
    await lake.close();
  }
  return rows;
}

// Rounds alternate the three steps, so a burst of other work on the machine falls on all of
// them alike; each round's ratios compare steps measured seconds apart.
const rounds: { parse: Step; transform: Step; columns: Step; ingest: Step }[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  note(`round ${round}/${ROUNDS}: JSON.parse of ${records.length} records (${fixed(bytes / 1e6)} MB)`);
  const parse = await measure('JSON.parse', parseAll);
  note(`round ${round}/${ROUNDS}: the transform alone, batch by batch, remembering keys as the lake does`);
  const transform = await measure('transform', transformAll);
  note(`round ${round}/${ROUNDS}: the transform into columns alone (the lake's form), the same way`);
  const columns = await measure('columns', columnsAll);
  note(
    `round ${round}/${ROUNDS}: LocalLake.ingest, ${batches.length} batches of ${BATCH} records, ${INFLIGHT} in flight`,
  );
  const ingest = await measure('ingest', ingestAll);
  rounds.push({ parse, transform, columns, ingest });
}
const loadAfter = machineLoad();

note('checking the last lake through the views');
rawBytes = await directoryBytes(join(lastLake, 'raw'));
curatedBytes = await directoryBytes(join(lastLake, 'curated'));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const views = await createLakeViews(connection, lastLake, []);
const check = (
  await connection.runAndReadAll('SELECT count(*), count(DISTINCT (device_id, seq)) FROM telemetry')
).getRows()[0] as [bigint, bigint];
connection.closeSync();
instance.closeSync();
await rm(parent, { recursive: true, force: true });
if (Number(check[0]) !== READINGS || Number(check[1]) !== READINGS) {
  throw new Error(`the lake holds ${check[0]} rows, ${check[1]} distinct, expected ${READINGS}`);
}

type StepName = 'parse' | 'transform' | 'columns' | 'ingest';
const STEPS: { step: StepName; label: string }[] = [
  { step: 'parse', label: 'JSON.parse (baseline)' },
  { step: 'transform', label: 'transform only (rows)' },
  { step: 'columns', label: 'transform only (columns)' },
  { step: 'ingest', label: `LocalLake.ingest (batches of ${BATCH}, ${INFLIGHT} in flight)` },
];
/** Speed ratios to JSON.parse of the same round (1 = as fast as the parse, 0.5 = half its speed). */
const ratiosOf = (step: StepName) => rounds.map((round) => speedRatios(round[step], round.parse));
const summarise = (step: StepName) => {
  const steps = rounds.map((round) => round[step]);
  const ratios = ratiosOf(step);
  const cpu = ratios.map((r) => r.cpu);
  const wall = ratios.map((r) => r.wall);
  const fastest = steps.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
  return {
    fastest,
    rates: ratesOf(READINGS, fastest),
    cpuRatio: { best: Math.max(...cpu), median: median(cpu) },
    wallRatio: { best: Math.max(...wall), median: median(wall) },
  };
};
const results = Object.fromEntries(STEPS.map(({ step }) => [step, summarise(step)])) as Record<
  StepName,
  ReturnType<typeof summarise>
>;
const ingestResult = results.ingest;
const passCpu = ingestResult.cpuRatio.median >= GOAL_RATIO;
const passWall = ingestResult.wallRatio.median >= GOAL_RATIO;

printTable(
  `Local lake write, ${READINGS.toLocaleString('en')} readings (${PER_RECORD} per record, ${DEVICES} devices; ${ROUNDS} alternating rounds)`,
  [
    'step',
    'CPU s',
    'wall s',
    'JS thread s',
    'readings/CPU-s',
    'readings/s',
    'x JSON.parse CPU (best, median)',
    'x JSON.parse wall (best, median)',
  ],
  STEPS.map(({ step, label }) => {
    const r = results[step];
    return [
      label,
      fixed(r.fastest.cpuMs / 1000, 2),
      fixed(r.fastest.wallMs / 1000, 2),
      fixed(r.fastest.jsMs / 1000, 2),
      Math.round(r.rates.perCpuSecond),
      Math.round(r.rates.perWallSecond),
      `${fixed(r.cpuRatio.best, 3)}, ${fixed(r.cpuRatio.median, 3)}`,
      `${fixed(r.wallRatio.best, 3)}, ${fixed(r.wallRatio.median, 3)}`,
    ];
  }),
);
printTable(
  'What was written (last round)',
  ['figure', 'value'],
  [
    ['stream records', records.length],
    ['JSON MB', fixed(bytes / 1e6)],
    ['raw archive MB (gzip -1)', fixed(rawBytes / 1e6)],
    ['curated Parquet MB (snappy)', fixed(curatedBytes / 1e6)],
    ['Parquet files', views.telemetryFiles],
    ['rows read back (distinct keys)', Number(check[1])],
    ['load before', describeLoad(loadBefore)],
    ['load after', describeLoad(loadAfter)],
    [`≥ ${GOAL_RATIO}x JSON.parse per CPU-second (median)`, verdict(passCpu)],
    [`≥ ${GOAL_RATIO}x JSON.parse in wall time (median)`, verdict(passWall)],
    [
      `≥ ${GOAL_PER_S.toLocaleString('en')} readings/s (issue 5)`,
      verdict(ingestResult.rates.perWallSecond >= GOAL_PER_S),
    ],
  ],
);
const perRound = (step: StepName, key: keyof Step) => rounds.map((round) => round[step][key] / 1000);
printJsonLine({
  bench: 'lake-write',
  readings: READINGS,
  perRecord: PER_RECORD,
  devices: DEVICES,
  batch: BATCH,
  inflight: INFLIGHT,
  rounds: ROUNDS,
  goalRatio: GOAL_RATIO,
  goalPerS: GOAL_PER_S,
  jsonBytes: bytes,
  rawBytes,
  curatedBytes,
  parquetFiles: views.telemetryFiles,
  loadBefore: loadBefore.loadavg,
  loadAfter: loadAfter.loadavg,
  busy: loadBefore.busy || loadAfter.busy,
  seconds: {
    parse: perRound('parse', 'wallMs'),
    transform: perRound('transform', 'wallMs'),
    columns: perRound('columns', 'wallMs'),
    ingest: perRound('ingest', 'wallMs'),
  },
  cpuSeconds: {
    parse: perRound('parse', 'cpuMs'),
    transform: perRound('transform', 'cpuMs'),
    columns: perRound('columns', 'cpuMs'),
    ingest: perRound('ingest', 'cpuMs'),
  },
  jsThreadSeconds: {
    parse: perRound('parse', 'jsMs'),
    transform: perRound('transform', 'jsMs'),
    columns: perRound('columns', 'jsMs'),
    ingest: perRound('ingest', 'jsMs'),
  },
  readingsPerCpuSecond: {
    transform: results.transform.rates.perCpuSecond,
    columns: results.columns.rates.perCpuSecond,
    ingest: ingestResult.rates.perCpuSecond,
    parse: results.parse.rates.perCpuSecond,
  },
  readingsPerS: {
    transform: results.transform.rates.perWallSecond,
    columns: results.columns.rates.perWallSecond,
    ingest: ingestResult.rates.perWallSecond,
    parse: results.parse.rates.perWallSecond,
  },
  ratioToParse: {
    cpu: {
      transform: results.transform.cpuRatio,
      columns: results.columns.cpuRatio,
      ingest: ingestResult.cpuRatio,
    },
    wall: {
      transform: results.transform.wallRatio,
      columns: results.columns.wallRatio,
      ingest: ingestResult.wallRatio,
    },
  },
  pass: { cpu: passCpu, wall: passWall, perS: ingestResult.rates.perWallSecond >= GOAL_PER_S },
});
