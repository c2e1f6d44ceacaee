/**
 * Agent footprint by the published method of the reference C edge runtime (Greengrass nucleus
 * lite): median PSS over `--minutes` (default 10) after `--warmup-minutes` (default 5), under
 * 1 message/s plus one S3 photo upload a minute, mock hardware, a real mosquitto with mutual TLS,
 * a bare `node` measured beside it. PSS, USS (Private_Clean + Private_Dirty) and RSS of every
 * process every 5 s from /proc/PID/smaps_rollup, and the number of node processes on the machine
 * (each one shares the node binary's pages and so lowers every other's PSS).
 * Both transports run side by side in one run by default (`--transport both`): the same load
 * hits both. Goals (issue 16): aws-crt ≤ 60 MB PSS, MQTT.js ≤ 65 MB, no upward trend.
 * Run: see bench/README.md ("Footprint", published method).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentConfigFor, TRANSPORTS, type TransportUnderTest } from '../test/src/harness/agent-config.js';
import { AGENT_BIN } from '../test/src/harness/agent-process.js';
import { MosquittoBroker } from '../test/src/harness/mosquitto.js';
import { TestSubscriber } from '../test/src/harness/subscriber.js';
import { clientFiles } from '../test/src/harness/test-pki.js';
import { ControlPort } from './lib/control.js';
import {
  type SeriesSummary,
  seriesRises,
  summariseSeries,
  TREND_LIMIT_MB_PER_HOUR,
} from './lib/footprint-stats.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { CLOCK_TICKS, countProcesses, type MemorySample, sampleMemory, sampleProc } from './lib/proc.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { BenchS3, BUCKET, REGION } from './lib/s3.js';
import { freePort } from './lib/stack.js';
import { minMaxMedian } from './lib/stats.js';

const SAMPLE_EVERY_MS = 5000;
const DEMO_PHOTOS = fileURLToPath(new URL('../device/dist/demo-photos/', import.meta.url));
const PHOTO_EVERY_MS = 60_000;
const GOAL_PSS_MB: Record<TransportUnderTest, number> = { 'aws-crt': 60, 'mqtt.js': 65 };
const thingFor = (t: TransportUnderTest) => `coffee-pi-${t.replace('.', '')}`;
const telemetryOf = (thing: string) => `dt/coffee-iot/${thing}/telemetry`;

const { values } = parseArgs({
  options: {
    transport: { type: 'string', default: 'both' },
    'warmup-minutes': { type: 'string', default: '5' },
    minutes: { type: 'string', default: '10' },
    /** The agent's entry file: the thin launcher over dist/ (default) or the release bundle. */
    bin: { type: 'string' },
    /** NODE_OPTIONS for the agents, as the systemd unit's Environment= would set it. */
    'node-options': { type: 'string', default: '' },
    /** More environment for the agents, KEY=VALUE (repeatable), e.g. MALLOC_ARENA_MAX=2 as the unit sets it. */
    env: { type: 'string', multiple: true, default: [] },
    /** Node/V8 flags on the agents' command line, before the entry file. */
    'node-args': { type: 'string', default: '' },
    /**
     * Run each agent and the bare node from its own copy of the node binary: no other process
     * shares its code pages, so PSS is what it is on a device where the agent is the only node
     * process (the other node processes on a shared machine otherwise lower it).
     */
    'private-node': { type: 'boolean', default: false },
    'allow-busy': { type: 'boolean', default: false },
  },
});
const transports =
  values.transport === 'both' ? [...TRANSPORTS] : TRANSPORTS.filter((t) => t === values.transport);
const warmupMinutes = Number(values['warmup-minutes']);
const minutes = Number(values.minutes);
const bin = values.bin === undefined ? AGENT_BIN : resolve(values.bin);
if (transports.length === 0 || !(warmupMinutes >= 0) || !(minutes * 60_000 >= 2 * SAMPLE_EVERY_MS)) {
  console.error(
    'usage: footprint-published.ts [--transport aws-crt|mqtt.js|both] [--warmup-minutes 5] [--minutes 10 (≥ 0.17)]\n' +
      '       [--bin device/dist-bundle/coffee-iot-agent.mjs] [--node-options="--max-semi-space-size=1"] [--node-args="--lite-mode"] [--env KEY=VALUE] [--private-node] [--allow-busy]',
  );
  process.exit(2);
}
if (!existsSync(bin)) {
  console.error(`--bin ${bin} does not exist (the bundle: npm run bundle -w @coffee-iot/device)`);
  process.exit(2);
}
const nodeOptions = values['node-options'];
const extraEnv = Object.fromEntries(
  values.env.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) {
      console.error(`--env wants KEY=VALUE (got ${pair})`);
      process.exit(2);
    }
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const nodeArgs = values['node-args'].split(' ').filter((a) => a !== '');
const loadBefore = refuseIfBusy(values['allow-busy'] === true, '--allow-busy');

/** An agent spawned as the unit runs it: node [flags] ENTRY --config FILE, NODE_ENV=production. */
class Agent {
  readonly spawnedAtMs = performance.now();
  startingLoggedMs: number | undefined;
  firstTelemetryMs = Number.NaN;
  warnings: string[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  constructor(configPath: string, node: string) {
    this.child = spawn(node, [...nodeArgs, bin, '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        ...extraEnv,
        ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
      },
    });
    let pending = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"agent starting"')) this.startingLoggedMs ??= performance.now();
        // The harness's keys are 0644 (mosquitto must read them): that warning is expected.
        if (/"level":(4|5|6)\d/.test(line) && !line.includes('configuration warning'))
          this.warnings.push(line);
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }
  get pid(): number {
    return this.child.pid as number;
  }
  async terminate(): Promise<{ code: number | null; elapsedMs: number }> {
    const started = performance.now();
    const exited = once(this.child, 'exit');
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    else return { code: this.child.exitCode, elapsedMs: 0 };
    const [code] = await exited;
    return { code: code as number | null, elapsedMs: performance.now() - started };
  }
}

const things = transports.map(thingFor);
const broker = await MosquittoBroker.create({ thingNames: [...things, 'observer'] });
await broker.start();
const subscriber = await TestSubscriber.connect({
  host: broker.host,
  port: broker.port,
  clientId: 'published-footprint-observer',
  ...clientFiles(broker.pki.trusted.clients, 'observer'),
  caPath: broker.pki.trusted.caPath,
  topics: things.map(telemetryOf),
});
const s3Dir = join(broker.dir, 's3');
await mkdir(s3Dir, { recursive: true });
const s3 = await BenchS3.start(s3Dir);
const privateNode = values['private-node'] === true;
/** process.execPath, or a copy of it of its own (--private-node). */
const nodeFor = async (name: string): Promise<string> => {
  if (!privateNode) return process.execPath;
  const dir = join(broker.dir, `node-${name}`);
  await mkdir(dir, { recursive: true });
  // Named node in a directory of its own: comm stays "node", the page cache pages are its own.
  await copyFile(process.execPath, join(dir, 'node'));
  await chmod(join(dir, 'node'), 0o755);
  return join(dir, 'node');
};
const bare = spawn(await nodeFor('bare'), ['-e', 'setInterval(() => {}, 1000)'], {
  stdio: 'ignore',
  env: { PATH: process.env.PATH ?? '' },
});
const agents: { transport: TransportUnderTest; thing: string; agent: Agent; control: ControlPort }[] = [];
let stopPresses = false;
try {
  // One after another, so start-up is timed without the other agent's start-up competing for the CPU.
  for (const transport of transports) {
    const thing = thingFor(transport);
    const dir = join(broker.dir, thing);
    await mkdir(dir, { recursive: true });
    const controlPort = await freePort();
    const config = agentConfigFor(broker, thing, join(dir, 'state'), transport, {
      // Production timings and log level rather than the test harness's.
      keepAliveSeconds: 30,
      connectTimeoutMs: 10_000,
      reconnect: { minMs: 1000, maxMs: 60_000, stableAfterMs: 60_000 },
      control: { port: controlPort },
      // The build's camera-sized JPEGs for every entry: the bundle would otherwise find only the
      // PNG sources beside it and re-encode them (tens of MB of garbage a Pi's camera never makes).
      camera: { mockDir: DEMO_PHOTOS },
      upload: { bucket: BUCKET, region: REGION, endpoint: s3.endpoint, devStaticCredentials: true },
    });
    const configPath = join(dir, 'agent.json');
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const agent = new Agent(configPath, await nodeFor(transport));
    agents.push({ transport, thing, agent, control: new ControlPort(`http://127.0.0.1:${controlPort}`) });
    // The subscriber's check runs on each arrival: the moment the broker had the first reading
    // (it sends the PUBACK and forwards the PUBLISH together).
    await subscriber.waitForCount(telemetryOf(thing), 1, 60_000);
    agent.firstTelemetryMs = performance.now();
    note(
      `${transport}: pid ${agent.pid}, first telemetry at the subscriber ${fixed(agent.firstTelemetryMs - agent.spawnedAtMs, 0)} ms after spawn`,
    );
  }
  for (const { control } of agents) await control.waitUntilListening(20_000);

  // One photo a minute per agent, staggered so two uploads never overlap.
  const pressErrors: string[] = [];
  const presses = (async () => {
    const began = performance.now();
    for (let minute = 0; !stopPresses; minute += 1) {
      for (const [i, { transport, control }] of agents.entries()) {
        const at = began + minute * PHOTO_EVERY_MS + (i * PHOTO_EVERY_MS) / agents.length;
        while (!stopPresses && performance.now() < at) await sleep(Math.min(1000, at - performance.now()));
        if (stopPresses) return;
        await control.press().catch((error: Error) => pressErrors.push(`${transport}: ${error.message}`));
      }
    }
  })();

  note(`warm-up ${warmupMinutes} min, then ${minutes} min sampled every ${SAMPLE_EVERY_MS / 1000} s`);
  await sleep(warmupMinutes * 60_000);
  const pids = [...agents.map((a) => a.agent.pid), bare.pid as number];
  const memory: MemorySample[][] = pids.map(() => []);
  const cpuTicks: number[][] = pids.map(() => []);
  const nodeProcesses: number[] = [];
  const telemetryBefore = agents.map(({ thing }) => subscriber.payloadsOn(telemetryOf(thing)).length);
  const photosBefore = agents.map(({ thing }) => s3.objectsUnder(`photos/${thing}/`).length);
  const began = performance.now();
  for (let i = 0; i * SAMPLE_EVERY_MS <= minutes * 60_000; i += 1) {
    await sleep(began + i * SAMPLE_EVERY_MS - performance.now());
    pids.forEach((pid, p) => {
      memory[p]?.push(sampleMemory(pid));
      cpuTicks[p]?.push(sampleProc(pid).cpuTicks);
    });
    nodeProcesses.push(countProcesses('node'));
  }
  const sampledSeconds = (performance.now() - began) / 1000;
  const loadAfter = machineLoad();
  stopPresses = true;
  await presses;

  const summarise = (p: number) => {
    const m = memory[p] as MemorySample[];
    const ticks = cpuTicks[p] as number[];
    return {
      pss: summariseSeries(m.map((s) => ({ atMs: s.atMs, kb: s.pssKb }))),
      uss: summariseSeries(m.map((s) => ({ atMs: s.atMs, kb: s.ussKb }))),
      rss: summariseSeries(m.map((s) => ({ atMs: s.atMs, kb: s.rssKb }))),
      cpuPercent: (100 * (((ticks.at(-1) ?? 0) - (ticks[0] ?? 0)) / CLOCK_TICKS)) / sampledSeconds,
      samples: m.length,
      /** Every sample as [seconds into the window, PSS, USS, RSS] in kB: the series the trend is fitted to. */
      series: m.map((x) => [Math.round((x.atMs - began) / 1000), x.pssKb, x.ussKb, x.rssKb]),
    };
  };
  const bareNode = summarise(agents.length);
  const results = [];
  for (const [i, { transport, thing, agent }] of agents.entries()) {
    const footprint = summarise(i);
    const stopped = await agent.terminate();
    results.push({
      transport,
      pid: agent.pid,
      ...footprint,
      startup: {
        spawnToAgentStartingMs: (agent.startingLoggedMs ?? Number.NaN) - agent.spawnedAtMs,
        spawnToFirstTelemetryMs: agent.firstTelemetryMs - agent.spawnedAtMs,
      },
      shutdown: stopped,
      telemetryReceived: subscriber.payloadsOn(telemetryOf(thing)).length - (telemetryBefore[i] ?? 0),
      photosStored: s3.objectsUnder(`photos/${thing}/`).length - (photosBefore[i] ?? 0),
      warnings: agent.warnings.slice(0, 20),
      stderr: agent.stderr.slice(0, 2000),
    });
  }
  const nodeCount = minMaxMedian(nodeProcesses);

  const mbRow = (s: SeriesSummary) => `${fixed(s.medianMb)} (${fixed(s.minMb)}–${fixed(s.maxMb)})`;
  const trend = (s: SeriesSummary) => `${fixed(s.trendMbPerHour)} ± ${fixed(2 * s.trendStderrMbPerHour)}`;
  printTable(
    `Published method: median over ${minutes} min after ${warmupMinutes} min warm-up, 1 Hz + 1 photo/min, sampled every ${SAMPLE_EVERY_MS / 1000} s (MB; median (min–max))`,
    ['process', 'PSS', 'USS', 'RSS', 'PSS trend MB/h (±2 SE)', 'CPU %'],
    [
      ...results.map((r) => [
        r.transport,
        mbRow(r.pss),
        mbRow(r.uss),
        mbRow(r.rss),
        trend(r.pss),
        fixed(r.cpuPercent, 2),
      ]),
      [
        'bare node',
        mbRow(bareNode.pss),
        mbRow(bareNode.uss),
        mbRow(bareNode.rss),
        trend(bareNode.pss),
        fixed(bareNode.cpuPercent, 2),
      ],
    ],
  );
  printTable(
    'Goals and load',
    [
      'transport',
      'PSS goal',
      `no trend > ${TREND_LIMIT_MB_PER_HOUR} MB/h`,
      'spawn → "agent starting" ms',
      'spawn → 1st telemetry at subscriber ms',
      'SIGTERM → exit ms',
      'telemetry / photos',
    ],
    results.map((r) => [
      r.transport,
      `≤ ${GOAL_PSS_MB[r.transport]}: ${verdict(r.pss.medianMb <= GOAL_PSS_MB[r.transport])}`,
      ((rises) => (rises === null ? 'n/a (window < 2 min)' : verdict(!rises)))(seriesRises(r.pss)),
      fixed(r.startup.spawnToAgentStartingMs, 0),
      fixed(r.startup.spawnToFirstTelemetryMs, 0),
      `${fixed(r.shutdown.elapsedMs, 0)} (exit ${r.shutdown.code})`,
      `${r.telemetryReceived} / ${r.photosStored}`,
    ]),
  );
  console.log(
    `\nnode processes on the machine while sampling: median ${nodeCount.median} (${nodeCount.min}–${nodeCount.max}); ` +
      `agents ${agents.length}, bare node 1, this bench 1 (s3rver runs in it)`,
  );
  console.log(
    `entry ${bin}; NODE_OPTIONS "${nodeOptions}"; node args "${nodeArgs.join(' ')}"; ${process.version}`,
  );
  if (pressErrors.length > 0) console.log(`presses that failed: ${pressErrors.join('; ')}`);
  console.log(`${describeLoad(loadBefore)} before; ${describeLoad(loadAfter)} after`);
  printJsonLine({
    bench: 'footprint-published',
    warmupMinutes,
    minutes,
    sampleEveryMs: SAMPLE_EVERY_MS,
    goalPssMb: GOAL_PSS_MB,
    sideBySide: agents.length > 1,
    privateNode,
    bin,
    nodeOptions,
    nodeArgs,
    env: extraEnv,
    node: process.version,
    nodeProcesses: { ...nodeCount, mean: nodeProcesses.reduce((a, b) => a + b, 0) / nodeProcesses.length },
    loadBefore: loadBefore.loadavg,
    loadAfter: loadAfter.loadavg,
    pressErrors,
    runs: results,
    bareNode,
    medianPssMb: Object.fromEntries(results.map((r) => [r.transport, r.pss.medianMb])),
    medianUssMb: Object.fromEntries(results.map((r) => [r.transport, r.uss.medianMb])),
  });
} finally {
  stopPresses = true;
  await Promise.all(agents.map(({ agent }) => agent.terminate().catch(() => undefined)));
  if (bare.exitCode === null) {
    const exited = once(bare, 'exit');
    bare.kill('SIGTERM');
    await exited;
  }
  await subscriber.close();
  await s3.stop();
  await broker.cleanup();
}
