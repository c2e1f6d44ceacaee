/**
 * `coffee-iot query` over 10,000,000 readings: min/max/avg temperature per device per hour, in
 * process (runQuery) and as a fresh process, through the deduplicating `telemetry` view, the
 * raw `telemetry_all` and a dedupe over every row; baselines in the same run: the same aggregate
 * by bare DuckDB over the files, and a fresh process answering SELECT 1. Goal (issue 5): ≤ 2 s.
 * `--writer live` writes the lake with the local stack's live writer (LakeWriter: a write every
 * `--per-record` s, the live hour merged by tier unless `--live-compaction off`) and compares the
 * query on it with the same rows as one file per hour, alternating, CPU time (issue 16: ≤ 2×).
 * Run:
 *   node --conditions=coffee-iot-source --import tsx bench/lake-query.ts [--readings N] [--devices D]
 *     [--files-per-hour F] [--resent R] [--runs N] [--lake DIR (reuse a fixture, kept)]
 *     [--writer duckdb|lake [--batch-records B]|live [--per-record S] [--live-compaction on|off] [--fanout F]]
 *     [--allow-busy]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { runQuery } from '../cloud/src/cli/commands/query.js';
import { sqlString } from '../cloud/src/lake/local/sql-text.js';
import { createLakeViews } from '../cloud/src/lake/views.js';
import { startClock, type Timed } from './lib/cpu-clock.js';
import {
  buildTelemetryFixture,
  buildTelemetryFixtureWithLiveWriter,
  buildTelemetryFixtureWithLocalLake,
  copyAsOneFilePerHour,
  type Fixture,
  type LiveFileCounts,
} from './lib/lake-fixture.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { bundleQueryRunner } from './lib/query-bundle.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '10000000' },
    devices: { type: 'string', default: '10' },
    'files-per-hour': { type: 'string', default: '1' },
    resent: { type: 'string', default: '600' },
    writer: { type: 'string', default: 'duckdb' },
    'batch-records': { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    lake: { type: 'string' },
    'per-record': { type: 'string', default: '2' },
    'live-compaction': { type: 'string', default: 'on' },
    fanout: { type: 'string', default: '4' },
    'allow-busy': { type: 'boolean', default: false },
  },
});
const loadBefore = refuseIfBusy(values['allow-busy'] ?? false, '--allow-busy');
note(describeLoad(loadBefore));
const READINGS = Number(values.readings);
const DEVICES = Number(values.devices);
const RUNS = Number(values.runs);
const GOAL_S = 2;

const HOURLY = (table: string) =>
  `SELECT device_id, date_trunc('hour', ts) AS hour, min(temperature) AS min, max(temperature) AS max, avg(temperature) AS avg FROM ${table} GROUP BY ALL ORDER BY ALL`;
const VARIANTS = [
  { name: 'telemetry (dedupe where files overlap)', sql: HOURLY('telemetry') },
  { name: 'telemetry_all (no dedupe)', sql: HOURLY('telemetry_all') },
  {
    name: 'dedupe over every row',
    sql: HOURLY(
      '(SELECT * FROM telemetry_all QUALIFY row_number() OVER (PARTITION BY device_id, seq ORDER BY ingest_time) = 1)',
    ),
  },
];

const scratch = await mkdtemp(join(tmpdir(), 'coffee-iot-lake-query-'));
const lakeDir = values.lake ?? join(scratch, 'lake');
const registry = `sqlite:${join(scratch, 'no-registry.sqlite')}`;
let fixture: Fixture | undefined;
let liveFiles: LiveFileCounts | undefined;
let stopLiveWriter: (() => Promise<void>) | undefined;
const LIVE_RATIO_GOAL = 2;
if (values.lake !== undefined && existsSync(join(lakeDir, 'curated', 'telemetry'))) {
  note(`reusing the lake at ${lakeDir}`);
} else if (values.writer === 'live') {
  const compaction = values['live-compaction'] === 'off' ? false : { fanout: Number(values.fanout) };
  note(
    `building ${READINGS} readings (${DEVICES} devices): closed hours as a replay leaves them, the last hour by the live writer (a write every ${values['per-record']} s, merges ${compaction === false ? 'off' : `fanout ${compaction.fanout}`}) into ${lakeDir}`,
  );
  const live = await buildTelemetryFixtureWithLiveWriter(lakeDir, {
    readings: READINGS,
    devices: DEVICES,
    perRecord: Number(values['per-record']),
    compaction,
  });
  fixture = live;
  liveFiles = live.liveFiles;
  stopLiveWriter = live.stop;
  note(
    `live hour (${live.liveReadings} readings): at most ${live.liveFiles.most} files (mean ${live.liveFiles.mean.toFixed(1)}) over ${live.writes} writes; per hour at the end: ${live.liveFiles.perHour.join(', ')}`,
  );
} else {
  const options = {
    readings: READINGS,
    devices: DEVICES,
    filesPerHour: Number(values['files-per-hour']),
    resent: Number(values.resent),
  };
  if (values.writer === 'lake') {
    note(`building ${READINGS} readings (${DEVICES} devices) with LocalLake into ${lakeDir}`);
    fixture = await buildTelemetryFixtureWithLocalLake(lakeDir, {
      ...options,
      perRecord: 60,
      batchRecords: Number(values['batch-records']),
    });
  } else {
    note(`building ${READINGS} readings (${DEVICES} devices) with DuckDB into ${lakeDir}`);
    fixture = await buildTelemetryFixture(lakeDir, options);
  }
  note(`${fixture.files} files over ${fixture.hours} hours in ${fixture.seconds.toFixed(1)} s`);
}

note('checking the fixture through the views');
const check = await (async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const summary = await createLakeViews(connection, lakeDir, []);
    const [counts] = (
      await connection.runAndReadAll(
        'SELECT (SELECT count(*) FROM telemetry), (SELECT count(*) FROM telemetry_all)',
      )
    ).getRows() as [bigint, bigint][];
    return { ...summary, rows: Number(counts?.[0]), storedRows: Number(counts?.[1]) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
})();

/** runQuery in this process, output counted, not kept; wall and CPU time (DuckDB's threads too). */
async function inProcess(sql: string, lake = lakeDir): Promise<{ seconds: number; rows: number } & Timed> {
  let stderr = '';
  const clock = startClock();
  const code = await runQuery([sql, '--lake', lake, '--database', registry], {
    env: {},
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
  });
  const timed = clock.stop();
  if (code !== 0) throw new Error(`query failed (${code}): ${stderr}`);
  return { ...timed, seconds: timed.wallMs / 1000, rows: Number(/(\d+) rows?\n$/.exec(stderr)?.[1]) };
}

/** The bundled CLI as a fresh process, spawn to exit. */
function freshProcess(runner: string, sql: string, lake = lakeDir): number {
  const began = performance.now();
  const result = spawnSync(process.execPath, [runner, sql, '--lake', lake, '--database', registry], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - began) / 1000;
  if (result.status !== 0) throw new Error(`query process failed (${result.status}): ${result.stderr}`);
  return seconds;
}

/** The aggregate alone, by a bare DuckDB over the files (no CLI, no views, no dedupe). */
async function bareDuckDb(): Promise<number> {
  const began = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const files = sqlString(join(lakeDir, 'curated', 'telemetry', '**', '*.parquet'));
    await connection.runAndReadAll(HOURLY(`read_parquet(${files}, hive_partitioning = true)`));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return (performance.now() - began) / 1000;
}

note('bundling the query command (esbuild)');
const runner = await bundleQueryRunner();
const emptyLake = join(scratch, 'empty-lake');

/** The live writer's lake against the same rows as one file per hour: alternating, CPU time. */
interface LayoutComparison {
  oneFileFiles: number;
  live: Timed[];
  oneFile: Timed[];
  cpuRatios: number[];
  wallRatios: number[];
}
let layout: LayoutComparison | undefined;
if (values.writer === 'live' && fixture !== undefined) {
  const oneFileLake = join(scratch, 'one-file-per-hour');
  note('copying the same rows as one file per hour');
  const oneFileFiles = await copyAsOneFilePerHour(lakeDir, oneFileLake);
  const sql = (VARIANTS[0] as (typeof VARIANTS)[number]).sql;
  // One unmeasured query each: the files in the page cache for both.
  await inProcess(sql);
  await inProcess(sql, oneFileLake);
  const live: Timed[] = [];
  const oneFile: Timed[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    note(`live writer's lake vs one file per hour: round ${run + 1} of ${RUNS}`);
    // Alternating, so the machine's load weighs on both alike.
    live.push(await inProcess(sql));
    oneFile.push(await inProcess(sql, oneFileLake));
  }
  layout = {
    oneFileFiles,
    live,
    oneFile,
    cpuRatios: live.map((timed, i) => timed.cpuMs / (oneFile[i] as Timed).cpuMs),
    wallRatios: live.map((timed, i) => timed.wallMs / (oneFile[i] as Timed).wallMs),
  };
}

const results = [];
const baselineRuns = { bare: [] as number[], startup: [] as number[] };
for (let run = 0; run < RUNS; run += 1) {
  note(`round ${run + 1} of ${RUNS}`);
  baselineRuns.bare.push(await bareDuckDb());
  baselineRuns.startup.push(freshProcess(runner, 'SELECT 1', emptyLake));
}
for (const variant of VARIANTS) {
  note(`${variant.name}: ${RUNS} runs in process, ${RUNS} fresh processes`);
  const inProc: number[] = [];
  const inProcCpuMs: number[] = [];
  let rows = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const measured = await inProcess(variant.sql);
    inProc.push(measured.seconds);
    inProcCpuMs.push(measured.cpuMs);
    rows = measured.rows;
  }
  const fresh: number[] = [];
  for (let run = 0; run < RUNS; run += 1) fresh.push(freshProcess(runner, variant.sql));
  results.push({
    name: variant.name,
    rows,
    inProcess: inProc,
    inProcessCpuMs: inProcCpuMs,
    freshProcess: fresh,
  });
}
await stopLiveWriter?.();
const loadAfter = machineLoad();
// The scratch directory holds the fixture unless --lake named one to keep.
await rm(scratch, { recursive: true, force: true });

const bareMedian = median(baselineRuns.bare);
printTable(
  `coffee-iot query, min/max/avg temperature per device per hour over ${check.storedRows.toLocaleString('en')} stored readings (${check.telemetryFiles} files; seconds, median (min) of ${RUNS})`,
  ['query', 'rows', 'in process', 'CPU s in process', 'fresh process', 'x bare DuckDB', `≤ ${GOAL_S} s`],
  results.map((r) => [
    r.name,
    r.rows,
    `${fixed(median(r.inProcess), 2)} (${fixed(Math.min(...r.inProcess), 2)})`,
    `${fixed(median(r.inProcessCpuMs) / 1000, 2)} (${fixed(Math.min(...r.inProcessCpuMs) / 1000, 2)})`,
    `${fixed(median(r.freshProcess), 2)} (${fixed(Math.min(...r.freshProcess), 2)})`,
    fixed(median(r.inProcess) / bareMedian, 1),
    verdict(median(r.freshProcess) <= GOAL_S),
  ]),
);
printTable(
  'Baselines in this run, and the lake',
  ['figure', 'value'],
  [
    ['bare DuckDB: the aggregate over the files, fresh instance (s, median)', fixed(bareMedian, 2)],
    ['fresh process: SELECT 1 on an empty lake (s, median)', fixed(median(baselineRuns.startup), 2)],
    [
      'readings (distinct) / stored',
      `${check.rows.toLocaleString('en')} / ${check.storedRows.toLocaleString('en')}`,
    ],
    [
      'Parquet files / read through the dedupe',
      `${check.telemetryFiles} / ${check.telemetryFilesDeduplicated}`,
    ],
    [
      `fixture built by ${{ lake: 'LocalLake', live: 'the live writer' }[values.writer ?? ''] ?? 'DuckDB'} in s`,
      fixture === undefined ? 'reused' : fixed(fixture.seconds, 1),
    ],
  ],
);
if (liveFiles !== undefined) {
  printTable(
    'Telemetry files per hour written by the live writer',
    ['figure', 'files'],
    [
      ['live hour, most after any write', liveFiles.most],
      ['live hour, mean after each write', fixed(liveFiles.mean, 1)],
      [
        'per hour at the end (closed hours as a replay leaves them; the last one live)',
        liveFiles.perHour.join(', '),
      ],
    ],
  );
}
if (layout !== undefined) {
  const cpuS = (list: Timed[]) => list.map((t) => fixed(t.cpuMs / 1000, 2)).join(' ');
  printTable(
    `The query (telemetry view) on the live writer's lake vs the same rows as one file per hour, ${RUNS} alternating rounds`,
    ['figure', 'value'],
    [
      ['files: live / one per hour', `${check.telemetryFiles} / ${layout.oneFileFiles}`],
      ['CPU s per round, live', cpuS(layout.live)],
      ['CPU s per round, one file per hour', cpuS(layout.oneFile)],
      [
        `CPU time ratio live / one file, best (median); goal ≤ ${LIVE_RATIO_GOAL}`,
        `${fixed(Math.min(...layout.cpuRatios), 2)} (${fixed(median(layout.cpuRatios), 2)}) ${verdict(median(layout.cpuRatios) <= LIVE_RATIO_GOAL)}`,
      ],
      [
        'wall time ratio, best (median)',
        `${fixed(Math.min(...layout.wallRatios), 2)} (${fixed(median(layout.wallRatios), 2)})`,
      ],
    ],
  );
}
note(`before: ${describeLoad(loadBefore)}; after: ${describeLoad(loadAfter)}`);
console.log(`\nLoad: before ${describeLoad(loadBefore)}; after ${describeLoad(loadAfter)}`);
printJsonLine({
  bench: 'lake-query',
  load: { before: loadBefore, after: loadAfter },
  liveFiles: liveFiles ?? null,
  layout: layout ?? null,
  readings: check.rows,
  storedRows: check.storedRows,
  files: check.telemetryFiles,
  filesDeduplicated: check.telemetryFilesDeduplicated,
  runs: RUNS,
  goalSeconds: GOAL_S,
  writer: fixture === undefined ? 'reused' : values.writer,
  fixtureSeconds: fixture?.seconds ?? null,
  baselines: { bareDuckDb: baselineRuns.bare, startupSelect1: baselineRuns.startup },
  results,
  pass: median(results[0]?.freshProcess ?? [Number.NaN]) <= GOAL_S,
});
