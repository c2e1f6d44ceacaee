/**
 * `coffee-iot query` over 10,000,000 readings: min/max/avg temperature per device per hour, in
 * process (runQuery) and as a fresh process, through the deduplicating `telemetry` view, the
 * raw `telemetry_all` and a dedupe over every row; baselines in the same run: the same aggregate
 * by bare DuckDB over the files, and a fresh process answering SELECT 1. Goal (issue 5): ≤ 2 s.
 * Run:
 *   node --conditions=coffee-iot-source --import tsx bench/lake-query.ts [--readings N] [--devices D]
 *     [--files-per-hour F] [--resent R] [--runs N] [--lake DIR (reuse a fixture, kept)]
 *     [--writer duckdb|lake [--batch-records B]]
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
import {
  buildTelemetryFixture,
  buildTelemetryFixtureWithLocalLake,
  type Fixture,
} from './lib/lake-fixture.js';
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
  },
});
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
if (values.lake !== undefined && existsSync(join(lakeDir, 'curated', 'telemetry'))) {
  note(`reusing the lake at ${lakeDir}`);
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

/** runQuery in this process, output counted, not kept. */
async function inProcess(sql: string): Promise<{ seconds: number; rows: number }> {
  let stderr = '';
  const began = performance.now();
  const code = await runQuery([sql, '--lake', lakeDir, '--database', registry], {
    env: {},
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
  });
  const seconds = (performance.now() - began) / 1000;
  if (code !== 0) throw new Error(`query failed (${code}): ${stderr}`);
  return { seconds, rows: Number(/(\d+) rows?\n$/.exec(stderr)?.[1]) };
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
  let rows = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const measured = await inProcess(variant.sql);
    inProc.push(measured.seconds);
    rows = measured.rows;
  }
  const fresh: number[] = [];
  for (let run = 0; run < RUNS; run += 1) fresh.push(freshProcess(runner, variant.sql));
  results.push({ name: variant.name, rows, inProcess: inProc, freshProcess: fresh });
}
// The scratch directory holds the fixture unless --lake named one to keep.
await rm(scratch, { recursive: true, force: true });

const bareMedian = median(baselineRuns.bare);
printTable(
  `coffee-iot query, min/max/avg temperature per device per hour over ${check.storedRows.toLocaleString('en')} stored readings (${check.telemetryFiles} files; seconds, median (min) of ${RUNS})`,
  ['query', 'rows', 'in process', 'fresh process', 'x bare DuckDB', `≤ ${GOAL_S} s`],
  results.map((r) => [
    r.name,
    r.rows,
    `${fixed(median(r.inProcess), 2)} (${fixed(Math.min(...r.inProcess), 2)})`,
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
      `fixture built by ${values.writer === 'lake' ? 'LocalLake' : 'DuckDB'} in s`,
      fixture === undefined ? 'reused' : fixed(fixture.seconds, 1),
    ],
  ],
);
printJsonLine({
  bench: 'lake-query',
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
