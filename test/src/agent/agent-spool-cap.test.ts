import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatusFile } from '../../../device/src/status/status-file.js';
import { agentConfigFor, seqsOf } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { MosquittoBroker } from '../harness/mosquitto.js';
import { TestSubscriber } from '../harness/subscriber.js';
import { clientFiles } from '../harness/test-pki.js';

const THING = 'coffee-pi-cap';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const HEALTH = `dt/coffee-iot/${THING}/health`;
const CAP = 5;

describe('spool cap over a long outage', { timeout: 60_000 }, () => {
  let broker: MosquittoBroker;
  let subscriber: TestSubscriber;
  let workDir: string;
  let agent: AgentProcess;

  beforeAll(async () => {
    broker = await MosquittoBroker.create({ thingNames: [THING, 'observer'] });
    await broker.start();
    subscriber = await TestSubscriber.connect({
      host: broker.host,
      port: broker.port,
      clientId: 'cap-observer',
      ...clientFiles(broker.pki.trusted.clients, 'observer'),
      caPath: broker.pki.trusted.caPath,
      topics: [TELEMETRY, HEALTH],
    });
    workDir = await mkdtemp(join(tmpdir(), 'coffee-iot-cap-'));
  });
  afterAll(async () => {
    if (agent?.running) await agent.kill();
    await subscriber?.close();
    await broker?.cleanup();
    await rm(workDir, { recursive: true, force: true });
  });

  it('drops the oldest, counts them, and reports the count in health and status', async () => {
    const stateDir = join(workDir, 'state');
    // The agent starts while the broker is down: every reading waits in a spool capped at 5.
    await broker.stop();
    agent = await AgentProcess.withConfig(
      workDir,
      agentConfigFor(broker, THING, stateDir, 'mqtt.js', { intervalMs: 100, spool: { maxReadings: CAP } }),
    );
    agent.start();
    // ~60 readings at 10 Hz during the outage; the status file is rewritten every 5 s.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    const offline = await readStatusFile(stateDir);
    expect(offline?.spoolDepth).toBeLessThanOrEqual(CAP);
    expect(offline?.droppedReadings).toBeGreaterThanOrEqual(20);
    expect(agent.logsMatching('drop').length, agent.transcript()).toBeGreaterThan(0);

    await broker.start();
    const [health] = await subscriber.waitForCount(HEALTH, 1, 20_000);
    const report = JSON.parse(health ?? '{}') as { droppedReadings: number };
    expect(report.droppedReadings).toBeGreaterThanOrEqual(
      offline?.droppedReadings ?? Number.POSITIVE_INFINITY,
    );

    await subscriber.waitForCount(TELEMETRY, 2, 10_000);
    const seqs = seqsOf(subscriber.payloadsOn(TELEMETRY));
    // The oldest were dropped: the first seq delivered is well past 1.
    expect(Math.min(...seqs)).toBeGreaterThan(report.droppedReadings - CAP);
    const { code } = await agent.terminate();
    expect(code).toBe(0);
  });
});
