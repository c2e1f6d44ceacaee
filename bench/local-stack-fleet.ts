/**
 * How many simulated devices at 1 Hz the local stack (`npm start`) sustains on this machine with
 * nothing lost, and the latency from a reading to its row being queryable in the lake (issue 6,
 * "Benchmark"; goal ≥ 1,000 devices).
 *
 * For each fleet size: a fresh stack in this process (no agents of its own), and a load process
 * (bench/lib/fleet-load.ts) with one mutual-TLS MQTT connection per device, each its own thing
 * and certificate, publishing one telemetry envelope a second at QoS 1 as the agent does. Then:
 * every PUBACKed reading must be in the lake exactly once (`telemetry_all`, so a duplicate would
 * show), and the reading-to-queryable latency is the lake row's ingest_time (when its batch was
 * written) minus the reading's ts. The smallest fleet is the baseline for the ratios.
 *
 * Run: node --conditions=coffee-iot-source --import tsx bench/local-stack-fleet.ts [--devices 250,500,1000,1500] [--seconds 45]
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../device/src/ports/logger.js';
import { ensureDevPki } from '../local/src/pki/pki.js';
import { startLocalStack } from '../local/src/stack/local-stack.js';
import { DEFAULT_STACK_OPTIONS, thingNames } from '../local/src/stack/stack-options.js';
import { queryLake } from '../test/src/local-stack/stack-harness.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '250,500,1000,1500' },
    seconds: { type: 'string', default: '45' },
  },
});
const sizes = values.devices.split(',').map(Number);
const seconds = Number(values.seconds);
const GOAL_DEVICES = 1000;
const ROOT = resolve('.local/bench-fleet');

interface LoadResult {
  connectMs: number;
  published: number;
  acked: number;
  failed: number;
  lateTicks: number;
  maxLateMs: number;
}

interface RunResult extends LoadResult {
  devices: number;
  inLake: number;
  duplicates: number;
  lost: number;
  refused: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  stackCpuPercent: number;
  loopDelayP99Ms: number;
  rssMb: number;
  sustained: boolean;
}

async function runLoad(spec: object): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    ['--conditions=coffee-iot-source', '--import', 'tsx', 'bench/lib/fleet-load.ts', JSON.stringify(spec)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (code !== 0) throw new Error(`fleet load exited ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult;
}

async function runFleet(devices: number, pkiDir: string): Promise<RunResult> {
  const dataDir = join(ROOT, `run-${devices}`);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await cp(pkiDir, join(dataDir, 'pki'), { recursive: true });
  const stack = await startLocalStack(
    {
      ...DEFAULT_STACK_OPTIONS,
      dataDir,
      devices: 0,
      brokerPort: 0,
      s3Port: 0,
      kinesisPort: 0,
      dashboardPort: 0,
      controlPort: 0,
    },
    () => undefined,
    createLogger('warn'),
  );
  try {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    let peakRss = 0;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 500);
    const load = await runLoad({
      host: '127.0.0.1',
      port: stack.brokerPort,
      caPath: join(dataDir, 'pki', 'ca.crt'),
      certDir: join(dataDir, 'pki'),
      things: thingNames(devices),
      seconds,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    clearInterval(rssTimer);
    loop.disable();
    // Everything acked must reach the lake: wait for the rule, the stream and the lake writer.
    for (
      let waited = 0;
      stack.counters().lake.recordsWritten < load.acked && waited < 60_000;
      waited += 250
    ) {
      await sleep(250);
    }
    await stack.flushLake();
    const [rows] = await queryLake<{ n: number; distinct_n: number; p50: number; p95: number; max: number }>(
      stack.lakeDir,
      stack.databaseUrl,
      `SELECT count(*) AS n, count(DISTINCT (device_id, seq)) AS distinct_n,
              quantile_cont(lag_ms, 0.5) AS p50, quantile_cont(lag_ms, 0.95) AS p95, max(lag_ms) AS max
         FROM (SELECT device_id, seq, epoch_ms(ingest_time) - epoch_ms(ts) AS lag_ms FROM telemetry_all)`,
    );
    const counters = stack.counters();
    const inLake = Number(rows?.distinct_n ?? 0);
    const result: RunResult = {
      devices,
      ...load,
      inLake,
      duplicates: Number(rows?.n ?? 0) - inLake,
      lost: load.acked - inLake,
      refused:
        counters.lake.rejected + counters.rule.malformed + counters.rule.unputtable + counters.rule.dropped,
      p50Ms: Number(rows?.p50 ?? Number.NaN),
      p95Ms: Number(rows?.p95 ?? Number.NaN),
      maxMs: Number(rows?.max ?? Number.NaN),
      stackCpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      rssMb: peakRss / 1024 / 1024,
      sustained: false,
    };
    // Sustained: every reading acked and in the lake once, the load kept its 1 Hz schedule, and
    // readings became queryable within a few lake batches (not a growing backlog).
    result.sustained =
      result.failed === 0 &&
      result.lost === 0 &&
      result.duplicates === 0 &&
      result.refused === 0 &&
      result.acked === result.published &&
      result.lateTicks === 0 &&
      result.p95Ms < 4 * DEFAULT_STACK_OPTIONS.lakeFlushMs + 2000;
    return result;
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const largest = Math.max(...sizes);
note(`device certificates for ${largest} things (generated once, kept in ${ROOT}/pki)…`);
const pkiStarted = performance.now();
await ensureDevPki(join(ROOT, 'pki'), { thingNames: thingNames(largest) });
note(`certificates ready in ${fixed((performance.now() - pkiStarted) / 1000)} s`);

const results: RunResult[] = [];
for (const devices of sizes) {
  note(`${devices} devices × ${seconds} s at 1 Hz…`);
  results.push(await runFleet(devices, join(ROOT, 'pki')));
}
const baseline = results[0] as RunResult;
printTable(
  `local stack, simulated devices at 1 Hz for ${seconds} s (lake writes every ${DEFAULT_STACK_OPTIONS.lakeFlushMs} ms)`,
  [
    'devices',
    'published',
    'in lake',
    'lost',
    'dup',
    'p50 ms',
    'p95 ms',
    'max ms',
    'p95 × base',
    'stack CPU %',
    'loop p99 ms',
    'RSS MB',
    'sustained',
  ],
  results.map((r) => [
    r.devices,
    r.published,
    r.inLake,
    r.lost,
    r.duplicates,
    fixed(r.p50Ms, 0),
    fixed(r.p95Ms, 0),
    fixed(r.maxMs, 0),
    fixed(r.p95Ms / baseline.p95Ms, 2),
    fixed(r.stackCpuPercent, 0),
    fixed(r.loopDelayP99Ms, 1),
    fixed(r.rssMb, 0),
    r.sustained ? 'yes' : 'NO',
  ]),
);
const best = Math.max(0, ...results.filter((r) => r.sustained).map((r) => r.devices));
console.log(
  `largest fleet sustained: ${best} devices (goal ≥ ${GOAL_DEVICES}) ${verdict(best >= GOAL_DEVICES)}`,
);
printJsonLine({
  bench: 'local-stack-fleet',
  seconds,
  lakeFlushMs: DEFAULT_STACK_OPTIONS.lakeFlushMs,
  best,
  results,
});
