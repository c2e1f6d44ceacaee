/**
 * Photo handler throughput against a local MariaDB with a mocked analyzer: events/s and latency
 * of handlePhotoEvent, one container and C containers in parallel, then every event replayed
 * (duplicates must add no row). Baseline: the bare CoffeeRepository.recordCoffee on the same
 * server, alternating with the pipeline round after round; the speed ratio (baseline time /
 * pipeline time, wall and CPU) comes first. Refuses on a busy machine unless --allow-busy.
 * S3 and the ingest stream are in memory: not what is measured. Run: see bench/README.md.
 */
import { parseArgs } from 'node:util';
import { parsePhotoKey } from '@coffee-iot/shared';
import { sql } from 'kysely';
import { REKOGNITION_ANALYZER_NAME } from '../cloud/src/analysis/rekognition-analyzer.js';
import type { CoffeeDatabase } from '../cloud/src/db/coffee-database.js';
import type { NewCoffee } from '../cloud/src/db/coffee-repository.js';
import { migrateToLatest } from '../cloud/src/db/migrate.js';
import { openMysqlDatabase } from '../cloud/src/db/mysql-database.js';
import { createCoffeeRepository } from '../cloud/src/db/sql-coffee-repository.js';
import { analyzePhoto } from '../cloud/src/photos/analyze-photo.js';
import { handlePhotoEvent, type PhotoEventSummary } from '../cloud/src/photos/handle-photo-event.js';
import { FakeFaceAnalyzer } from '../cloud/src/testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../cloud/src/testing/memory-photo-store.js';
import { type MariaDbConnection, MariaDbServer } from '../test/src/harness/mariadb.js';
import { ratesOf, speedRatios, startClock, type Timed } from './lib/cpu-clock.js';
import { describeLoad, type MachineLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { MariaDbObserver, type ServerActivity, SLOW_QUERY_MS } from './lib/mariadb-observer.js';
import {
  BUCKET,
  type Container,
  type DriveResult,
  drive,
  oneFaceAnalysis,
  openContainer,
  POOL_SIZE,
  s3Event,
  type UploadedPhoto,
  uploadPhotos,
} from './lib/photo-pipeline.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const args = parseCli();
const MIB = 1024 * 1024;
/**
 * `--server defaults` (the default): MariaDB's own defaults for what the test harness shrinks
 * for speed and footprint (16 MB redo log, 32 MB buffer pool, redo flushed once a second). With
 * the harness's sizes the ~4 KB rows of a 2,000-event run wrap the redo log several times and
 * checkpoint stalls of 100 ms and more take over the tail; and an unflushed commit hides the cost
 * of each durable commit, which Aurora always pays. `--server harness` keeps the harness's settings.
 */
const SERVER_SETTINGS = {
  defaults: {
    innodb_buffer_pool_size: 128 * MIB,
    innodb_log_file_size: 96 * MIB,
    innodb_flush_log_at_trx_commit: 1,
  },
  harness: {},
} as const;
const SERVER_LABEL = {
  defaults: 'MariaDB defaults: 96 MB redo log, 128 MB buffer pool, redo flushed at every commit',
  harness: 'test harness settings: 16 MB redo log, 32 MB buffer pool, redo flushed once a second',
} as const;
const WARM_UP_EVENTS = Math.min(200, args.events);
/** Issue 16: the photo handler at least half as fast as the bare insert, one container. */
const GOAL_SPEED_RATIO = 0.5;

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface Run {
  name: string;
  round: number;
  containers: number;
  events: number;
  wallMs: number;
  /** This process's CPU time over the run (user + system, all containers: they share it). */
  cpuMs: number;
  perSecond: number;
  /** Events per CPU-second of this process, and of this process and mariadbd together. */
  perNodeCpuSecond: number;
  perCpuSecond: number;
  latencyMs: Latency;
  retries: number;
  /** This process's CPU over the run, % of one core (every container shares its one JS thread). */
  nodeCpuPercent: number;
  server: ServerActivity;
  /** Replays: rows in coffees after the replay minus before it (must be 0). */
  newRows?: number;
}

/** Speed of the pipeline relative to the bare recordCoffee of the same round (1 = as fast). */
interface RoundRatio {
  mode: string;
  round: number;
  wall: number;
  /** This process's CPU: what a Lambda container spends. */
  nodeCpu: number;
  /** This process's and mariadbd's CPU together: the least disturbed by other work on the machine. */
  cpu: number;
}

let loadBefore: MachineLoad;
try {
  loadBefore = refuseIfBusy(args.allowBusy, '--allow-busy');
} catch (error) {
  console.error((error as Error).message);
  process.exit(3);
}
note(`before: ${describeLoad(loadBefore)}`);

const server = await MariaDbServer.create();
// The photo bucket, shared by every container as S3 is.
const store = new MemoryPhotoStore();
let observer: MariaDbObserver | undefined;
const checks: { check: string; pass: boolean }[] = [];
try {
  note('starting MariaDB');
  await server.start();
  const admin = await server.createDatabase('coffee_bench_admin');
  observer = await MariaDbObserver.start(server, admin);
  await observer.setGlobals(SERVER_SETTINGS[args.server]);
  const version = await observer.version();

  note(`uploading ${args.events} photos to the in-memory bucket`);
  const photos = uploadPhotos(store, args.events, args.devices);
  const events = photos.map((photo, i) => s3Event(photo, i + 1));
  const coffees = await analysedCoffees(photos);

  note(`warm-up: ${WARM_UP_EVENTS} events on a throwaway database (JIT, Ajv compile, first connections)`);
  await pipelinePass(await freshDatabase(), 1, events.slice(0, WARM_UP_EVENTS), 'warm-up', 0, false);

  const shapes = [
    { containers: 1, label: '1 container, one event at a time' },
    { containers: args.containers, label: `${args.containers} containers in parallel` },
  ];
  const baselines: Run[] = [];
  const pipeline: Run[] = [];
  const replays: Run[] = [];
  const ratios: RoundRatio[] = [];
  for (const shape of shapes) {
    // Baseline and pipeline alternate, round after round: a burst of other work on the machine
    // then slows both sides of some rounds rather than one side of the comparison.
    for (let round = 1; round <= args.rounds; round += 1) {
      note(`round ${round}/${args.rounds}, baseline, ${shape.label}: ${args.events} × recordCoffee`);
      const baseline = await baselineRun(
        await freshDatabase(),
        shape.containers,
        coffees,
        shape.label,
        round,
      );
      note(`round ${round}/${args.rounds}, pipeline, ${shape.label}: ${args.events} events`);
      const passes = await pipelinePass(
        await freshDatabase(),
        shape.containers,
        events,
        shape.label,
        round,
        true,
      );
      baselines.push(baseline);
      pipeline.push(passes.first);
      replays.push(passes.replay as Run);
      ratios.push(roundRatio(shape.label, round, passes.first, baseline));
    }
  }
  const loadAfter = machineLoad();
  note(`after: ${describeLoad(loadAfter)}`);

  const summaries = shapes.map((shape) => summarise(shape.label, ratios));
  const title = `handlePhotoEvent, ${args.events.toLocaleString('en')} S3 events (one record each), ${args.devices} device${args.devices === 1 ? '' : 's'}, pool ${POOL_SIZE} per container, analyzer ${args.analyzerMs} ms, stream ${args.streamMs} ms, S3 and stream in memory, ${args.rounds} round${args.rounds === 1 ? '' : 's'} per mode\nMariaDB ${version} on loopback, ${SERVER_LABEL[args.server]}\nbefore: ${describeLoad(loadBefore)}\nafter:  ${describeLoad(loadAfter)}`;
  printTable(
    `${title}\n\nSpeed ratio pipeline/baseline = bare recordCoffee time / handlePhotoEvent time, same events, same round (1 = as fast as the bare insert; goal ≥ ${GOAL_SPEED_RATIO} for one container). CPU = this process + mariadbd`,
    [
      'mode',
      'wall best',
      'wall median',
      'node CPU best',
      'node CPU median',
      'CPU best',
      'CPU median',
      'goal',
    ],
    summaries.map((s, i) => [
      s.mode,
      fixed(s.wall.best, 2),
      fixed(s.wall.median, 2),
      fixed(s.nodeCpu.best, 2),
      fixed(s.nodeCpu.median, 2),
      fixed(s.cpu.best, 2),
      fixed(s.cpu.median, 2),
      i === 0 ? verdict(s.wall.median >= GOAL_SPEED_RATIO && s.cpu.median >= GOAL_SPEED_RATIO) : '-',
    ]),
  );
  const latencyCells = (r: Run) => [
    fixed(r.latencyMs.p50, 2),
    fixed(r.latencyMs.p95, 2),
    fixed(r.latencyMs.p99, 2),
    fixed(r.latencyMs.max, 1),
  ];
  const rateCells = (r: Run) => [
    Math.round(r.perSecond),
    Math.round(r.perNodeCpuSecond),
    Math.round(r.perCpuSecond),
    Math.round(r.cpuMs),
    Math.round(r.server.cpuMs),
    Math.round(r.wallMs),
  ];
  const rateHeader = (unit: string) => [
    `${unit}/s`,
    `${unit}/node CPU-s`,
    `${unit}/CPU-s`,
    'node CPU ms',
    'mariadbd CPU ms',
    'wall ms',
  ];
  printTable(
    'Pipeline: handlePhotoEvent (CPU-s = CPU-second of this process and mariadbd together)',
    ['mode', 'round', ...rateHeader('events'), 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'retries'],
    pipeline.map((r) => [r.name, r.round, ...rateCells(r), ...latencyCells(r), r.retries]),
  );
  printTable(
    'Replay: every event delivered again (S3 delivers at least once): a lookup by photo key, no new row',
    [
      'mode',
      'round',
      ...rateHeader('duplicates'),
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'retries',
      'new rows',
    ],
    replays.map((r) => [r.name, r.round, ...rateCells(r), ...latencyCells(r), r.retries, r.newRows ?? 'n/a']),
  );
  printTable(
    'Baseline in this process: bare recordCoffee (BEGIN, INSERT coffee, upsert device, COMMIT), same rows, same pools',
    ['mode', 'round', ...rateHeader('rows'), 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'retries'],
    baselines.map((r) => [r.name, r.round, ...rateCells(r), ...latencyCells(r), r.retries]),
  );
  const all = [
    ...baselines.map((r) => ({ ...r, name: `baseline, ${r.name}` })),
    ...pipeline.map((r) => ({ ...r, name: `pipeline, ${r.name}` })),
    ...replays.map((r) => ({ ...r, name: `replay, ${r.name}` })),
  ];
  printTable(
    'Server side (SHOW GLOBAL STATUS deltas; CPU from /proc; node = this process, all containers)',
    [
      'run',
      'round',
      'stmts/event',
      'COMMITs',
      'redo writes/event',
      'lock waits',
      'lock wait ms',
      'deadlocks',
      'connections',
      `≥ ${SLOW_QUERY_MS} ms`,
      'node CPU %',
      'mariadbd CPU %',
    ],
    all.map((r) => [
      r.name,
      r.round,
      fixed(r.server.counters.Questions / r.events, 1),
      r.server.counters.Com_commit,
      fixed(r.server.counters.Innodb_log_writes / r.events, 2),
      r.server.counters.Innodb_row_lock_waits,
      r.server.counters.Innodb_row_lock_time,
      r.server.counters.Innodb_deadlocks,
      r.server.counters.Connections,
      r.server.slow.reduce((sum, s) => sum + s.count, 0),
      Math.round(r.nodeCpuPercent),
      Math.round(r.server.cpuPercent),
    ]),
  );
  const slow = all
    .filter((r) => r.round === 1)
    .flatMap((r) => r.server.slow.slice(0, 3).map((s) => ({ run: r.name, ...s })));
  if (slow.length > 0) {
    printTable(
      `Statements of ${SLOW_QUERY_MS} ms or more (slow log; the 3 costliest per run of round 1)`,
      ['run', 'statement', 'count', 'max ms', 'total ms'],
      slow.map((s) => [s.run, s.statement, s.count, fixed(s.maxMs, 1), Math.round(s.totalMs)]),
    );
  }
  printTable(
    'Checks (any failure stops the bench before this table)',
    ['check', 'result'],
    checks.map((c) => [c.check, verdict(c.pass)]),
  );
  printJsonLine({
    bench: 'photo-handler',
    events: args.events,
    containers: args.containers,
    rounds: args.rounds,
    analyzerMs: args.analyzerMs,
    streamMs: args.streamMs,
    devices: args.devices,
    poolSize: POOL_SIZE,
    server: { settings: args.server, ...SERVER_SETTINGS[args.server] },
    mariadb: version,
    loadBefore,
    loadAfter,
    goalSpeedRatio: GOAL_SPEED_RATIO,
    speedRatios: summaries,
    roundRatios: ratios,
    baselines,
    pipeline,
    replays,
    checks,
  });
} finally {
  await observer?.close().catch(() => {});
  await server.cleanup();
}

function roundRatio(mode: string, round: number, measured: Run, baseline: Run): RoundRatio {
  const timed = (r: Run): Timed => ({ wallMs: r.wallMs, cpuMs: r.cpuMs });
  const both = (r: Run): Timed => ({ wallMs: r.wallMs, cpuMs: r.cpuMs + r.server.cpuMs });
  const node = speedRatios(timed(measured), timed(baseline));
  return {
    mode,
    round,
    wall: node.wall,
    nodeCpu: node.cpu,
    cpu: speedRatios(both(measured), both(baseline)).cpu,
  };
}

function summarise(mode: string, ratios: readonly RoundRatio[]) {
  const mine = ratios.filter((r) => r.mode === mode);
  const of = (pick: (r: RoundRatio) => number) => {
    const values = mine.map(pick);
    return { best: Math.max(...values), median: median(values) };
  };
  return { mode, wall: of((r) => r.wall), nodeCpu: of((r) => r.nodeCpu), cpu: of((r) => r.cpu) };
}

/** A new, migrated database on the bench server (each run starts from an empty schema). */
async function freshDatabase(): Promise<MariaDbConnection> {
  const connection = await server.createDatabase('coffee_bench');
  const database = openMysqlDatabase({ ...connection, ssl: false, poolSize: 1 });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
  return connection;
}

/**
 * The coffees the pipeline would store for the photos, built by its own analyzePhoto with the same
 * store and analyzer answer, for the baseline to insert.
 */
async function analysedCoffees(photos: readonly UploadedPhoto[]): Promise<NewCoffee[]> {
  const analyzer = new FakeFaceAnalyzer({
    name: REKOGNITION_ANALYZER_NAME,
    defaultResult: oneFaceAnalysis(),
  });
  const now = () => new Date();
  return Promise.all(
    photos.map(async (photo) => {
      const analysed = await analyzePhoto(BUCKET, photo.key, parsePhotoKey(photo.key), {
        store,
        analyzer,
        now,
      });
      return { record: analysed.record, faceDetails: analysed.faceDetails };
    }),
  );
}

async function measured<R>(
  name: string,
  round: number,
  containers: number,
  count: number,
  run: () => Promise<DriveResult<R>>,
): Promise<{ run: Run; result: DriveResult<R> }> {
  if (!observer) throw new Error('observer not started');
  const before = await observer.snapshot();
  const clock = startClock();
  const result = await run();
  const { cpuMs } = clock.stop();
  const after = await observer.snapshot();
  const server = await observer.activity(before, after);
  const rates = ratesOf(count, { wallMs: result.wallMs, cpuMs });
  return {
    result,
    run: {
      name,
      round,
      containers,
      events: count,
      wallMs: result.wallMs,
      cpuMs,
      perSecond: rates.perWallSecond,
      perNodeCpuSecond: rates.perCpuSecond,
      perCpuSecond: ratesOf(count, { wallMs: result.wallMs, cpuMs: cpuMs + server.cpuMs }).perCpuSecond,
      latencyMs: latency(result.latenciesMs),
      retries: result.retries,
      nodeCpuPercent: (100 * cpuMs) / result.wallMs,
      server,
    },
  };
}

async function baselineRun(
  connection: MariaDbConnection,
  containers: number,
  rows: readonly NewCoffee[],
  name: string,
  round: number,
): Promise<Run> {
  const pools = Array.from({ length: containers }, () =>
    openMysqlDatabase({ ...connection, ssl: false, poolSize: POOL_SIZE }),
  );
  try {
    const repositories = pools.map((database) => createCoffeeRepository(database));
    const { run, result } = await measured(name, round, containers, rows.length, () =>
      drive(repositories, rows, (repository, coffee) => repository.recordCoffee(coffee)),
    );
    const inserted = result.results.filter((outcome) => outcome === 'inserted').length;
    expect(
      `baseline (${name}): all ${rows.length} rows inserted`,
      inserted === rows.length,
      `${inserted} inserted`,
    );
    const count = await rowCount(pools[0]?.db, 'coffees');
    expect(`baseline (${name}): ${rows.length} rows in coffees`, count === rows.length, `${count} rows`);
    return run;
  } finally {
    await Promise.all(pools.map((database) => database.close()));
  }
}

/**
 * Every event through handlePhotoEvent on `containerCount` containers, then (when `replay`) every
 * event once more. Asserts one row, one stream record and one analysis per photo, and that the
 * replay adds nothing.
 */
async function pipelinePass(
  connection: MariaDbConnection,
  containerCount: number,
  events: readonly ReturnType<typeof s3Event>[],
  name: string,
  round: number,
  replay: boolean,
): Promise<{ first: Run; replay?: Run }> {
  const containers = Array.from({ length: containerCount }, () =>
    openContainer(connection, store, { analyzerMs: args.analyzerMs, streamMs: args.streamMs }),
  );
  const handle = (container: Container, event: ReturnType<typeof s3Event>) =>
    handlePhotoEvent(event, container.deps);
  const totals = () => ({
    streamed: containers.reduce((sum, c) => sum + c.stream.records.length, 0),
    analysed: containers.reduce((sum, c) => sum + c.analyzer.calls.length, 0),
  });
  try {
    const db = containers[0]?.database.db;
    const first = await measured(name, round, containerCount, events.length, () =>
      drive(containers, events, handle),
    );
    const recorded = countOutcomes(first.result.results);
    const expected = events.length;
    const label = name === 'warm-up' ? 'warm-up' : `pipeline (${name})`;
    expect(`${label}: every event recorded once`, recorded.recorded === expected, describeOutcomes(recorded));
    expect(`${label}: ${expected} rows in coffees`, (await rowCount(db, 'coffees')) === expected, '');
    expect(`${label}: every row marked streamed`, (await unstreamedCount(db)) === 0, '');
    const afterFirst = totals();
    expect(
      `${label}: one stream record per photo`,
      afterFirst.streamed === expected,
      `${afterFirst.streamed}`,
    );
    expect(`${label}: one analysis per photo`, afterFirst.analysed === expected, `${afterFirst.analysed}`);
    if (!replay) return { first: first.run };

    note(`replay, ${name}: ${events.length} duplicate events`);
    const again = await measured(name, round, containerCount, events.length, () =>
      drive(containers, events, handle),
    );
    const duplicates = countOutcomes(again.result.results);
    expect(
      `replay (${name}): every event a duplicate, 0 new rows`,
      duplicates.duplicates === expected && duplicates.recorded === 0 && duplicates.streamed === 0,
      describeOutcomes(duplicates),
    );
    const count = await rowCount(db, 'coffees');
    expect(`replay (${name}): still ${expected} rows in coffees`, count === expected, `${count} rows`);
    const afterReplay = totals();
    expect(
      `replay (${name}): nothing streamed or analysed again`,
      afterReplay.streamed === expected && afterReplay.analysed === expected,
      `${afterReplay.streamed} streamed, ${afterReplay.analysed} analysed`,
    );
    return { first: first.run, replay: { ...again.run, newRows: count - expected } };
  } finally {
    await Promise.all(containers.map((container) => container.database.close()));
  }
}

function countOutcomes(results: readonly PhotoEventSummary[]) {
  const sum = (pick: (r: PhotoEventSummary) => number) => results.reduce((total, r) => total + pick(r), 0);
  return {
    recorded: sum((r) => r.recorded.length),
    duplicates: sum((r) => r.duplicates.length),
    skipped: sum((r) => r.skipped.length + r.ignoredRecords),
    streamed: sum((r) => r.streamed),
  };
}

function describeOutcomes(outcomes: ReturnType<typeof countOutcomes>): string {
  return `recorded ${outcomes.recorded}, duplicates ${outcomes.duplicates}, skipped ${outcomes.skipped}, streamed ${outcomes.streamed}`;
}

async function rowCount(db: CoffeeDatabase['db'] | undefined, table: 'coffees'): Promise<number> {
  if (!db) throw new Error('no database');
  const row = await db.selectFrom(table).select(sql<number>`count(*)`.as('rows')).executeTakeFirstOrThrow();
  return Number(row.rows);
}

async function unstreamedCount(db: CoffeeDatabase['db'] | undefined): Promise<number> {
  if (!db) throw new Error('no database');
  const row = await db
    .selectFrom('coffees')
    .select(sql<number>`count(*)`.as('rows'))
    .where('streamed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.rows);
}

/** Records a check; a failed one stops the bench at once, loudly. */
function expect(check: string, pass: boolean, detail: string): void {
  checks.push({ check, pass });
  if (!pass) throw new Error(`check failed: ${check}${detail ? ` (${detail})` : ''}`);
}

function latency(values: readonly number[]): Latency {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

function parseCli(): {
  events: number;
  containers: number;
  analyzerMs: number;
  streamMs: number;
  devices: number;
  server: keyof typeof SERVER_SETTINGS;
  rounds: number;
  allowBusy: boolean;
} {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '2000' },
      containers: { type: 'string', default: '8' },
      'analyzer-ms': { type: 'string', default: '0' },
      'stream-ms': { type: 'string', default: '0' },
      devices: { type: 'string', default: '10' },
      server: { type: 'string', default: 'defaults' },
      rounds: { type: 'string', default: '3' },
      'allow-busy': { type: 'boolean', default: false },
    },
  });
  const server = values.server;
  if (server !== 'defaults' && server !== 'harness') {
    console.error(`--server must be defaults or harness (got ${server})`);
    process.exit(2);
  }
  const integer = (name: string, raw: string | undefined, min: number) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      console.error(`--${name} must be an integer ≥ ${min} (got ${raw})`);
      process.exit(2);
    }
    return value;
  };
  const milliseconds = (name: string, raw: string | undefined) => {
    const value = Number(raw);
    if (!(Number.isFinite(value) && value >= 0)) {
      console.error(`--${name} must be a number ≥ 0 (got ${raw})`);
      process.exit(2);
    }
    return value;
  };
  const analyzerMs = milliseconds('analyzer-ms', values['analyzer-ms']);
  const streamMs = milliseconds('stream-ms', values['stream-ms']);
  return {
    events: integer('events', values.events, 1),
    containers: integer('containers', values.containers, 1),
    analyzerMs,
    streamMs,
    devices: integer('devices', values.devices, 1),
    server,
    rounds: integer('rounds', values.rounds, 1),
    allowBusy: values['allow-busy'],
  };
}
