/**
 * Config shadow round trip (issue 15, "Benchmarks"): desired → the device applies it → reported,
 * on the local stack's embedded broker (thing policy on) and its shadow service, with one real
 * agent (mock hardware, MQTT.js) in this process. Each round sets `healthIntervalSeconds` to a new
 * value through ShadowService.setDesired (what the dashboard and `coffee-iot devices config` call)
 * and stops the clock when the update/accepted carrying that value as `reported` is published:
 * delta delivery, the agent's checks, the fsync of remote-config.json, the live change and the
 * reported update, all included.
 *
 * Run: node --conditions=coffee-iot-source --import tsx bench/shadow-round-trip.ts [--rounds 50]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TOPIC_PREFIX, shadowTopics } from '@coffee-iot/shared';
import { runAgent } from '../device/src/agent-runner.js';
import { loadConfig } from '../device/src/config/load-config.js';
import { createLogger } from '../device/src/ports/logger.js';
import { EmbeddedBroker } from '../local/src/broker/embedded-broker.js';
import { aedesMqtt } from '../local/src/iot-core/in-process-mqtt.js';
import { ShadowService } from '../local/src/iot-core/shadow-service.js';
import { ensureDevPki } from '../local/src/pki/pki.js';
import { describeLoad, machineLoad } from './lib/machine-load.js';
import { fixed, note, printJsonLine, printTable } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '50' } } });
const ROUNDS = Number(values.rounds);
const THING = 'coffee-pi-bench';
const ROUND_TIMEOUT_MS = 10_000;

const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-shadow-bench-'));
const quiet = createLogger('silent');
const pki = await ensureDevPki(join(dir, 'pki'), { thingNames: [THING] });
const broker = new EmbeddedBroker({
  caPath: pki.caPath,
  certPath: pki.server.certPath,
  keyPath: pki.server.keyPath,
  logger: quiet,
  thingPolicy: { topicPrefix: DEFAULT_TOPIC_PREFIX },
});
await broker.start();
const mqtt = aedesMqtt(broker.aedes);
const shadows = new ShadowService({ mqtt, directory: join(dir, 'shadows'), logger: quiet });
await shadows.start();

const client = pki.clients[THING];
if (!client) throw new Error('no client certificate for the bench thing');
const configPath = join(dir, 'agent.json');
await writeFile(
  configPath,
  JSON.stringify({
    thingName: THING,
    endpoint: '127.0.0.1',
    port: broker.port,
    cert: client.certPath,
    key: client.keyPath,
    rootCa: pki.caPath,
    stateDir: join(dir, 'state'),
    transport: 'mqtt.js',
    mock: true,
    mockSeed: 1,
    clockSyncWaitSeconds: 0,
  }),
);
const loaded = loadConfig({ configPath, env: {} });
let shutdown: ((signal: NodeJS.Signals) => void) | undefined;
const run = runAgent(loaded.config, {
  logger: quiet,
  warnings: loaded.warnings,
  triggers: [],
  processHooks: {
    pid: process.pid,
    onShutdownSignal(listener) {
      shutdown = listener;
      return () => undefined;
    },
  },
});

/** Resolves when an update/accepted reports `healthIntervalSeconds === value`. */
const waiters = new Map<number, (atMs: number) => void>();
await mqtt.subscribe(shadowTopics(THING).updateAccepted, (_topic, payload) => {
  const atMs = performance.now();
  const body = JSON.parse(payload.toString('utf8')) as {
    state?: { reported?: { healthIntervalSeconds?: number } };
  };
  const value = body.state?.reported?.healthIntervalSeconds;
  if (value !== undefined) waiters.get(value)?.(atMs);
});
function reported(value: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no report of ${value} in ${ROUND_TIMEOUT_MS} ms`)),
      ROUND_TIMEOUT_MS,
    );
    waiters.set(value, (atMs) => {
      clearTimeout(timer);
      waiters.delete(value);
      resolve(atMs);
    });
  });
}

note('waiting for the agent to connect and make its first report');
const firstReportBy = Date.now() + ROUND_TIMEOUT_MS;
while ((await shadows.getDocument(THING))?.state.reported?.intervalMs === undefined) {
  if (Date.now() > firstReportBy) throw new Error('the agent made no first report');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const load = machineLoad();
const roundTripsMs: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const value = 100 + (round % 2 === 0 ? round : round + 1000);
  const seen = reported(value);
  const startedAt = performance.now();
  await shadows.setDesired(THING, { healthIntervalSeconds: value });
  roundTripsMs.push((await seen) - startedAt);
}

shutdown?.('SIGTERM');
await run;
await shadows.stop();
await broker.stop();
await rm(dir, { recursive: true, force: true });

const result = {
  rounds: ROUNDS,
  p50Ms: median(roundTripsMs),
  p95Ms: percentile(roundTripsMs, 95),
  maxMs: Math.max(...roundTripsMs),
  load: describeLoad(load),
};
printTable(
  'config shadow: desired → reported (local stack, one agent, MQTT.js)',
  ['rounds', 'p50 ms', 'p95 ms', 'max ms', 'machine'],
  [[ROUNDS, fixed(result.p50Ms), fixed(result.p95Ms), fixed(result.maxMs), result.load]],
);
printJsonLine(result);
