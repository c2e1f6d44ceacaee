import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatusFile } from '../../../device/src/status/status-file.js';
import { agentConfigFor, seqsOf } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';

const THING = 'coffee-pi-cap';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const HEALTH = `dt/coffee-iot/${THING}/health`;
const CAP = 5;

describe('spool cap over a long outage', { timeout: 60_000 }, () => {
  let stack: ObservedMosquitto;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startObservedMosquitto(THING, 'cap-observer', [TELEMETRY, HEALTH]);
  });
  afterAll(async () => {
    if (agent?.running) await agent.kill();
    await stack?.cleanup();
  });

  it('drops the oldest, counts them, and reports the count in health and status', async () => {
    const { broker, subscriber, workDir } = stack;
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
