import { parseTelemetryEnvelope, type TelemetryReading, validateHealthMessage } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, type SamplerHandle } from './agent.js';
import { FakeClockSync } from './clock/fake-clock-sync.js';
import type { AgentSnapshot } from './health/agent-snapshot.js';
import { systemTimers } from './ports/clock.js';
import { silentLogger } from './ports/logger.js';
import { TEST_AGENT_SETTINGS } from './testing/agent-settings.js';
import { FakeTransport } from './testing/fake-transport.js';
import { MemorySpool } from './testing/memory-spool.js';
import { sampleReading } from './testing/readings.js';

const BOOT = '33333333-3333-4333-8333-333333333333';
const TRUE_START = Date.parse('2026-12-07T06:00:00.000Z');
const DAY = 86_400_000;

const settings = TEST_AGENT_SETTINGS;

/** The Pi's wall clock: true (fake) time plus an offset the test steps, as NTP would. */
const wall = { offset: 0, now: () => Date.now() + wall.offset };
const monotonic = { now: () => Date.now() - TRUE_START };

/** Spools one reading a second stamped by the wall clock, like the real sampler. */
function wallSampler(spool: MemorySpool, onReading: () => void): SamplerHandle {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    stats: () => ({ sensorErrors: 0 }),
    start() {
      timer = setInterval(() => {
        spool.append(sampleReading(wall.now()), BOOT);
        onReading();
      }, 1000);
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

describe('Agent with a clock that is not yet synchronised', () => {
  let spool: MemorySpool;
  let transport: FakeTransport;
  let sync: FakeClockSync;
  let statuses: AgentSnapshot[];

  beforeEach(() => {
    vi.useFakeTimers({ now: TRUE_START });
    wall.offset = -3 * DAY; // booted with the clock saved three days ago
    spool = new MemorySpool();
    transport = new FakeTransport();
    sync = new FakeClockSync('unsynchronized');
    statuses = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function createAgent(): Agent {
    return new Agent({
      settings,
      spool,
      transport,
      createSampler: (onReading) => wallSampler(spool, onReading),
      writeStatus: (snapshot) => {
        statuses.push(snapshot);
      },
      clockSync: { port: sync, monotonic, waitSeconds: 900 },
      bootId: BOOT,
      agentVersion: '0.1.0',
      clock: wall,
      timers: systemTimers,
      logger: silentLogger(),
    });
  }

  function publishedReadings(): TelemetryReading[] {
    return transport.acknowledged
      .filter((m) => m.topic.endsWith('/telemetry'))
      .flatMap((m) => parseTelemetryEnvelope(m.payload).readings);
  }

  it('publishes nothing stamped by the stale clock, then every reading with its true time once NTP syncs', async () => {
    const agent = createAgent();
    await agent.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(publishedReadings()).toEqual([]);
    expect(statuses.at(-1)?.clock).toMatchObject({ clockSynchronized: false, heldReadings: 60 });

    wall.offset = 0;
    sync.state = 'synchronized';
    await vi.advanceTimersByTimeAsync(60_000); // and the next health message
    const readings = publishedReadings();
    expect(readings.map((r) => r.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(readings.map((r) => r.ts)).toEqual(
      readings.map((r) => new Date(TRUE_START + r.seq * 1000).toISOString()),
    );

    const health = transport.acknowledged.filter((m) => m.topic.endsWith('/health')).at(-1);
    const message = JSON.parse(health?.payload ?? '{}');
    expect(validateHealthMessage(message)).toEqual({ ok: true, value: message });
    expect(message).toMatchObject({ clockSynchronized: true, heldReadings: 0, restampedReadings: 60 });
    await agent.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
