import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../device/src/ports/logger.js';
import { SqliteSpool } from '../../../device/src/spool/sqlite-spool.js';
import { sampleReading } from '../../../device/src/testing/readings.js';
import { agentConfigFor, firstArrivals, seqsOf } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';

const THING = 'coffee-pi-crash';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const BACKLOG = 3000;
const KILLS = 4;

describe('agent killed with SIGKILL during a catch-up', { timeout: 180_000 }, () => {
  let stack: ObservedMosquitto;

  beforeAll(async () => {
    stack = await startObservedMosquitto(THING, 'crash-observer', [TELEMETRY]);
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it('delivers every spooled seq after the last restart', async () => {
    const { broker, subscriber, workDir } = stack;
    const stateDir = join(workDir, 'state');
    // A backlog as after an outage, written by the real spool.
    const spool = new SqliteSpool({
      path: join(stateDir, 'spool.sqlite'),
      limits: { maxReadings: 0, maxBytes: 0, maxAgeSeconds: 0 },
      logger: silentLogger(),
    });
    const start = Date.now() - BACKLOG * 1000;
    spool.appendMany(
      Array.from({ length: BACKLOG }, (_, i) => ({
        reading: sampleReading(start + i * 1000),
        bootId: '00000000-0000-4000-8000-000000000000',
      })),
    );
    spool.close();

    // Slow catch-up (about 15 readings per 4 KB envelope, 10 envelopes/s) so kills land mid-way.
    const config = agentConfigFor(broker, THING, stateDir, 'mqtt.js', {
      publish: { maxPublishesPerSecond: 10, maxPayloadBytes: 4096, maxInFlight: 5 },
    });
    const agent = await AgentProcess.withConfig(workDir, config);
    const kills: number[] = [];
    for (let round = 0; round < KILLS; round += 1) {
      agent.start();
      await subscriber.waitForCount(TELEMETRY, subscriber.payloadsOn(TELEMETRY).length + 1, 15_000);
      // A random moment in the middle of the catch-up.
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 1500));
      await agent.kill();
      kills.push(Math.max(0, ...seqsOf(subscriber.payloadsOn(TELEMETRY))));
    }
    expect(Math.max(...kills)).toBeLessThan(BACKLOG); // the kills really were mid-catch-up

    agent.start();
    await subscriber.waitFor(
      (messages) => new Set(seqsOf(messages.map((m) => m.payload.toString()))).size >= BACKLOG + 3,
      90_000,
      'the whole backlog plus live readings',
    );
    const { code } = await agent.terminate();
    expect(code).toBe(0);

    const arrivals = firstArrivals(seqsOf(subscriber.payloadsOn(TELEMETRY)));
    const last = Math.max(...arrivals);
    expect(arrivals.length, agent.transcript()).toBe(last);
    expect([...arrivals].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    // First arrivals stay in order even across kills (resends start at the oldest unacknowledged).
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
  });
});
