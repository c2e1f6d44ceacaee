import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, firstArrivals, seqsOf, TRANSPORTS } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';

const THING = 'coffee-pi-outage';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const OUTAGE_MS = 30_000;

describe.each(TRANSPORTS)('agent over %s through a 30 s broker outage', { timeout: 120_000 }, (transport) => {
  let stack: ObservedMosquitto;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startObservedMosquitto(THING, `outage-observer-${transport}`, [TELEMETRY]);
  });
  afterAll(async () => {
    if (agent?.running) await agent.kill();
    await stack?.cleanup();
  });

  it('delivers every seq, in order, none missing, after the broker comes back', async () => {
    const { broker, subscriber, workDir } = stack;
    agent = await AgentProcess.withConfig(
      workDir,
      agentConfigFor(broker, THING, join(workDir, 'state'), transport),
    );
    agent.start();
    await subscriber.waitForCount(TELEMETRY, 3, 15_000);

    // SIGTERM keeps mosquitto's persistent session for the observer, so what the agent
    // publishes right before the stop is still handed over after the restart.
    await broker.stop();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // a real outage, in real time
    await broker.start();

    // Readings taken during the outage arrive as catch-up envelopes; wait for live ones after it.
    const outageReadings = OUTAGE_MS / 1000;
    await subscriber.waitFor(
      (messages) => {
        const seqs = seqsOf(messages.map((m) => m.payload.toString()));
        return seqs.length > 0 && Math.max(...seqs) >= outageReadings + 8;
      },
      30_000,
      'telemetry after the outage',
    );
    const { code } = await agent.terminate();
    expect(code).toBe(0);

    const arrivals = firstArrivals(seqsOf(subscriber.payloadsOn(TELEMETRY)));
    const last = Math.max(...arrivals);
    expect(arrivals, agent.transcript()).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    // The backlog went out batched, not one message per reading.
    const multiReading = subscriber
      .payloadsOn(TELEMETRY)
      .filter((payload) => (JSON.parse(payload) as { readings: unknown[] }).readings.length > 1);
    expect(multiReading.length).toBeGreaterThan(0);
    expect(agent.logsMatching('mqtt connection lost').length).toBeGreaterThanOrEqual(1);
  });
});
