/**
 * Catch-up: a day offline (86,400 spooled readings) delivered to mosquitto with the default
 * publish limits. Goals (issue 2): all delivered in ≤ 30 s, never > 100 publishes in any one-second
 * window, never a message over 128 KB. Run: see bench/README.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packNextEnvelope } from '../device/src/publisher/envelope.js';
import { agentConfigFor, type TransportUnderTest } from '../test/src/harness/agent-config.js';
import { AGENT_BIN, AgentProcess } from '../test/src/harness/agent-process.js';
import { MOSQUITTO_BIN } from '../test/src/harness/mosquitto.js';
import { BrokerTrace } from './lib/broker-trace.js';
import { parseBenchArgs } from './lib/cli.js';
import { startClock } from './lib/cpu-clock.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { CLOCK_TICKS, findChild, sampleProc } from './lib/proc.js';
import { mockBacklog, openSpool, prefillSpool } from './lib/readings.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { brokerPublishes, startStack, TELEMETRY, THING, waitForAllSeqs } from './lib/stack.js';
import { busiestBucket, busiestWindow, shortestSpan } from './lib/stats.js';

const READINGS = 86_400;
const GOAL = { seconds: 30, maxBytes: 131_072, perSecond: 100 };
/** As the agent: default publish.maxPayloadBytes, and SpoolPublisher's rows per fetch. */
const MAX_PAYLOAD_BYTES = 131_072;
const ROWS_PER_FETCH = 1000;

const args = parseBenchArgs({ transport: 'both' });
const loadBefore = refuseIfBusy(args.allowBusy, '--allow-busy');
note(describeLoad(loadBefore));

note(`building ${READINGS} mock readings`);
const backlog = await mockBacklog(READINGS);

const baseline = await spoolBaseline();
const runs = [];
for (const transport of args.transports) runs.push(await catchUp(transport));

printTable(
  `Catch-up of ${READINGS.toLocaleString('en')} spooled readings (default limits: 100 publishes/s, 128 KB, maxInFlight 10)`,
  [
    'transport',
    'total s',
    '1st msg s',
    'readings/s',
    'messages',
    'max bytes',
    'agent CPU s',
    'x baseline CPU',
    'x baseline wall',
  ],
  runs.map((r) => [
    r.transport,
    fixed(r.totalMs / 1000, 2),
    fixed(r.firstArrivalMs / 1000, 2),
    Math.round(r.readingsPerSecond),
    r.messages,
    r.maxBytes,
    fixed(r.agentCpuMs / 1000, 2),
    fixed(r.agentCpuMs / baseline.readAckCpuMs, 1),
    fixed(r.totalMs / baseline.readAckMs, 1),
  ]),
);
printTable(
  'Busiest one-second window of publishes (sliding window unless noted)',
  [
    'transport',
    'broker, all topics',
    'broker, telemetry',
    'broker log, whole s',
    'subscriber',
    '101 within ms (broker)',
  ],
  runs.map(({ transport, rate }) => [
    transport,
    rate.brokerAllTopics ?? 'n/a',
    rate.brokerTelemetry ?? 'n/a',
    rate.brokerLogWholeSecond,
    rate.subscriber,
    `${fixed(rate.brokerShortest101Ms ?? Number.NaN)} / ${fixed(rate.brokerTelemetryShortest101Ms ?? Number.NaN)}`,
  ]),
);
printTable(
  'Baseline in this process, no MQTT: the same readings through a fresh spool',
  ['step', 'wall ms', 'CPU ms'],
  [
    ['appendMany (one transaction)', Math.round(baseline.appendMs), Math.round(baseline.appendCpuMs)],
    [
      'read 1000 + pack 128 KB + ack, until empty',
      Math.round(baseline.readAckMs),
      Math.round(baseline.readAckCpuMs),
    ],
  ],
);
printTable(
  'Goals (publish rate judged at the broker; subscriber arrivals shown for reference)',
  [
    'transport',
    `≤ ${GOAL.seconds} s`,
    `≤ ${GOAL.maxBytes} B`,
    `≤ ${GOAL.perSecond} in any 1 s (broker)`,
    'same, subscriber',
  ],
  runs.map((r) => [
    r.transport,
    verdict(r.totalMs <= GOAL.seconds * 1000),
    verdict(r.maxBytes <= GOAL.maxBytes && r.maxBrokerBytes <= GOAL.maxBytes),
    verdict((r.rate.brokerAllTopics ?? r.rate.brokerLogWholeSecond) <= GOAL.perSecond),
    verdict(r.rate.subscriber <= GOAL.perSecond),
  ]),
);
const loadAfter = machineLoad();
note(`before: ${describeLoad(loadBefore)}; after: ${describeLoad(loadAfter)}`);
printJsonLine({
  bench: 'catch-up',
  readings: READINGS,
  goal: GOAL,
  load: { before: loadBefore, after: loadAfter },
  baseline,
  runs,
});

/** The agent's publish loop minus MQTT: fetch, pack into ≤ 128 KB envelopes, acknowledge. */
async function spoolBaseline() {
  const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-bench-baseline-'));
  try {
    const spool = openSpool(join(dir, 'spool.sqlite'));
    const appendClock = startClock();
    spool.appendMany(backlog);
    const append = appendClock.stop();
    const readAckClock = startClock();
    let envelopes = 0;
    for (
      let rows = spool.readAfter(0, ROWS_PER_FETCH);
      rows.length > 0;
      rows = spool.readAfter(0, ROWS_PER_FETCH)
    ) {
      const { envelope } = packNextEnvelope(THING, rows, MAX_PAYLOAD_BYTES);
      if (!envelope) throw new Error('baseline: a reading did not fit in an envelope');
      spool.acknowledge(envelope.seqs);
      envelopes += 1;
    }
    const readAck = readAckClock.stop();
    spool.close();
    return {
      appendMs: append.wallMs,
      appendCpuMs: append.cpuMs,
      readAckMs: readAck.wallMs,
      readAckCpuMs: readAck.cpuMs,
      envelopes,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function catchUp(transport: TransportUnderTest) {
  const stack = await startStack({ brokerDebugLog: true });
  try {
    const stateDir = join(stack.workDir, 'state');
    const spoolBytes = prefillSpool(join(stateDir, 'spool.sqlite'), backlog);
    // Default publish limits: no `publish` override.
    const agent = await AgentProcess.withConfig(
      stack.workDir,
      agentConfigFor(stack.broker, THING, stateDir, transport),
      [],
      AGENT_BIN,
      args.nodeArgs,
    );
    const brokerPid = findChild([MOSQUITTO_BIN, join(stack.broker.dir, 'mosquitto.conf')]);
    const trace = args.strace
      ? await BrokerTrace.start(brokerPid, join(stack.workDir, 'mosquitto.strace'))
      : null;
    if (args.strace && !trace)
      note('strace cannot attach to mosquitto: broker-side rate from whole-second log stamps only');
    note(
      `${transport}: ${READINGS} readings (${(spoolBytes / 1e6).toFixed(1)} MB of JSON) spooled; starting the agent`,
    );
    const started = performance.now();
    agent.start();
    const arrivals = await waitForAllSeqs(stack.subscriber, READINGS, 120_000).catch((error: unknown) => {
      throw new Error(`${transport}: catch-up incomplete\n${agent.transcript()}`, { cause: error });
    });
    const totalMs = performance.now() - started;
    // Every thread of the agent (aws-crt's event loop threads too), start-up included.
    const agentCpuMs = (sampleProc(findChild([AGENT_BIN, agent.configPath])).cpuTicks / CLOCK_TICKS) * 1000;
    await agent.terminate();
    const atBrokerTraced = (await trace?.stop(THING)) ?? [];

    const catchUpArrivals = arrivals.filter((a) => a.seqs.some((seq) => seq <= READINGS));
    const delivered = catchUpArrivals.reduce((sum, a) => sum + a.seqs.filter((s) => s <= READINGS).length, 0);
    const atBrokerLogged = brokerPublishes(stack.broker.logs(), THING);
    const tracedTimes = (topic?: string) =>
      atBrokerTraced.filter((p) => topic === undefined || p.topic === topic).map((p) => p.atMs);
    return {
      transport,
      totalMs,
      agentCpuMs,
      firstArrivalMs: (arrivals[0]?.atMs ?? Number.NaN) - started,
      readingsPerSecond: READINGS / (totalMs / 1000),
      messages: catchUpArrivals.length,
      duplicateReadings: delivered - READINGS,
      maxBytes: Math.max(...arrivals.map((a) => a.bytes)),
      maxBrokerBytes: Math.max(0, ...atBrokerLogged.map((p) => p.bytes)),
      // Publishes in the busiest one-second window. IoT Core counts every publish on the connection.
      rate: {
        brokerAllTopics: trace ? busiestWindow(tracedTimes()).count : null,
        brokerTelemetry: trace ? busiestWindow(tracedTimes(TELEMETRY)).count : null,
        brokerLogWholeSecond: busiestBucket(atBrokerLogged.map((p) => p.second)).count,
        subscriber: busiestWindow(arrivals.map((a) => a.atMs)).count,
        brokerShortest101Ms: trace ? shortestSpan(tracedTimes(), GOAL.perSecond + 1) : null,
        brokerTelemetryShortest101Ms: trace ? shortestSpan(tracedTimes(TELEMETRY), GOAL.perSecond + 1) : null,
      },
      brokerPublishes: atBrokerLogged.length,
      brokerOtherTopics: [...new Set(atBrokerLogged.map((p) => p.topic).filter((t) => t !== TELEMETRY))],
      // The harness's keys are 0644 (mosquitto must read them); that warning is expected.
      agentWarnings: agent.logs.filter((line) => line.level >= 40 && line.msg !== 'configuration warning'),
    };
  } finally {
    await stack.cleanup();
  }
}
