/**
 * A/B footprint: this checkout's agent and another build's (`--baseline DIR`, a built checkout of
 * an older commit) side by side at 1 Hz against one mosquitto, with a bare `node` beside them,
 * PSS and RSS sampled every 5 s after a warm-up. Side by side, so machine load hits both alike;
 * the order of start alternates per round. Issue 15's goal: the fleet clients (config shadow,
 * jobs, certificate rotation, signed updates) cost at most 5 MB. Run: see bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { agentConfigFor, TRANSPORTS, type TransportUnderTest } from '../test/src/harness/agent-config.js';
import { AgentProcess } from '../test/src/harness/agent-process.js';
import { MosquittoBroker } from '../test/src/harness/mosquitto.js';
import { TestSubscriber } from '../test/src/harness/subscriber.js';
import { clientFiles } from '../test/src/harness/test-pki.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { findChild, pssKb, sampleProc } from './lib/proc.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median } from './lib/stats.js';

const SAMPLE_EVERY_MS = 5000;
const GOAL_DELTA_MB = 5;
const CURRENT = 'coffee-pi-current';
const BASELINE = 'coffee-pi-baseline';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    transport: { type: 'string', default: 'aws-crt' },
    'warmup-minutes': { type: 'string', default: '1' },
    minutes: { type: 'string', default: '3' },
    'allow-busy': { type: 'boolean', default: false },
  },
});
const baselineDir = values.baseline === undefined ? undefined : resolve(values.baseline);
const baselineBin =
  baselineDir === undefined ? undefined : join(baselineDir, 'device/bin/coffee-iot-agent.js');
if (
  baselineBin === undefined ||
  !existsSync(baselineBin) ||
  !existsSync(join(baselineDir as string, 'device/dist/cli.js'))
) {
  console.error(
    '--baseline DIR must be a built checkout (device/dist/cli.js present), e.g.\n' +
      '  git worktree add /tmp/coffee-base 23a1c87 && (cd /tmp/coffee-base && npm ci)',
  );
  process.exit(2);
}
const transport = values.transport as TransportUnderTest;
if (!TRANSPORTS.includes(transport)) {
  console.error(`--transport must be one of ${TRANSPORTS.join(', ')}`);
  process.exit(2);
}
const warmupMinutes = Number(values['warmup-minutes']);
const minutes = Number(values.minutes);
const loadBefore = refuseIfBusy(values['allow-busy'] === true, '--allow-busy');

const broker = await MosquittoBroker.create({ thingNames: [CURRENT, BASELINE, 'observer'] });
await broker.start();
const subscriber = await TestSubscriber.connect({
  host: broker.host,
  port: broker.port,
  clientId: 'ab-observer',
  ...clientFiles(broker.pki.trusted.clients, 'observer'),
  caPath: broker.pki.trusted.caPath,
  topics: [`dt/coffee-iot/${CURRENT}/telemetry`, `dt/coffee-iot/${BASELINE}/telemetry`],
});
let bare: ChildProcess | undefined;
const agents: AgentProcess[] = [];
try {
  const start = async (thing: string, bin: string | undefined) => {
    const dir = join(broker.dir, thing);
    const config = agentConfigFor(broker, thing, join(dir, 'state'), transport, {
      keepAliveSeconds: 30,
      logLevel: 'warn',
    });
    const agent = await AgentProcess.withConfig(dir, config, [], bin);
    agent.start();
    agents.push(agent);
    return findChild([agent.bin, agent.configPath]);
  };
  const currentPid = await start(CURRENT, undefined);
  const baselinePid = await start(BASELINE, baselineBin);
  bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const barePid = bare.pid as number;
  await subscriber.waitForCount(`dt/coffee-iot/${CURRENT}/telemetry`, 1, 30_000);
  await subscriber.waitForCount(`dt/coffee-iot/${BASELINE}/telemetry`, 1, 30_000);
  note(
    `both agents publishing (current pid ${currentPid}, baseline pid ${baselinePid}); warm-up ${warmupMinutes} min`,
  );
  await sleep(warmupMinutes * 60_000);

  const samples = { current: [] as number[][], baseline: [] as number[][], bare: [] as number[][] };
  const began = performance.now();
  for (let i = 0; i * SAMPLE_EVERY_MS <= minutes * 60_000; i += 1) {
    await sleep(began + i * SAMPLE_EVERY_MS - performance.now());
    for (const [key, pid] of [
      ['current', currentPid],
      ['baseline', baselinePid],
      ['bare', barePid],
    ] as const) {
      samples[key].push([pssKb(pid), sampleProc(pid).rssKb]);
    }
  }
  const mb = (kb: number) => kb / 1024;
  const summary = (key: keyof typeof samples) => ({
    pssMb: mb(median(samples[key].map(([pss]) => pss as number))),
    rssMb: mb(median(samples[key].map(([, rss]) => rss as number))),
  });
  const current = summary('current');
  const baseline = summary('baseline');
  const bareNode = summary('bare');
  const deltaPss = current.pssMb - baseline.pssMb;
  const loadAfter = machineLoad();
  printTable(
    `Agent A/B footprint, ${transport}, ${samples.current.length} samples over ${minutes} min after ${warmupMinutes} min warm-up`,
    ['process', 'PSS median MB', 'RSS median MB', 'PSS / bare node'],
    [
      ['this checkout', fixed(current.pssMb), fixed(current.rssMb), fixed(current.pssMb / bareNode.pssMb, 2)],
      [
        `baseline ${baselineDir}`,
        fixed(baseline.pssMb),
        fixed(baseline.rssMb),
        fixed(baseline.pssMb / bareNode.pssMb, 2),
      ],
      ['bare node', fixed(bareNode.pssMb), fixed(bareNode.rssMb), '1.00'],
    ],
  );
  console.log(
    `\nPSS this − baseline: ${fixed(deltaPss)} MB (goal ≤ +${GOAL_DELTA_MB} MB): ${verdict(deltaPss <= GOAL_DELTA_MB)}`,
  );
  console.log(`${describeLoad(loadBefore)} before; ${describeLoad(loadAfter)} after`);
  printJsonLine({
    bench: 'agent-ab-footprint',
    transport,
    baseline: baselineDir,
    warmupMinutes,
    minutes,
    current,
    baselineAgent: baseline,
    bareNode,
    deltaPssMb: deltaPss,
    loadBefore: loadBefore.loadavg,
    loadAfter: loadAfter.loadavg,
  });
} finally {
  await Promise.all(agents.map((agent) => agent.terminate()));
  if (bare && bare.exitCode === null) {
    bare.kill();
    await once(bare, 'exit');
  }
  await subscriber.close();
  await broker.cleanup();
}
