import { parseTelemetryEnvelope, validateHealthMessage } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, type AgentDependencies, type SamplerHandle } from './agent.js';
import { CoffeeFlow } from './coffee/coffee-flow.js';
import { CoffeeStation } from './coffee/coffee-station.js';
import type { AgentSnapshot } from './health/agent-snapshot.js';
import { RecordingLeds } from './leds/recording-leds.js';
import { systemClock, systemTimers } from './ports/clock.js';
import { silentLogger } from './ports/logger.js';
import type { ConnectionContext, ConnectionService } from './remote/connection-service.js';
import { TEST_AGENT_SETTINGS } from './testing/agent-settings.js';
import { captureLogs } from './testing/capture-logs.js';
import { FakeTransport } from './testing/fake-transport.js';
import { MemorySpool } from './testing/memory-spool.js';
import { sampleReading } from './testing/readings.js';

const BOOT = '11111111-1111-4111-8111-111111111111';

const settings = TEST_AGENT_SETTINGS;

/** A sampler that spools one reading per second, like the real one, on fake timers. */
function fakeSampler(spool: MemorySpool, onReading: () => void, events: string[]): SamplerHandle {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    stats: () => ({ sensorErrors: 0 }),
    start() {
      timer = setInterval(() => {
        spool.append(sampleReading(Date.now()), BOOT);
        onReading();
      }, 1000);
    },
    async stop() {
      events.push('sampler stopped');
      clearInterval(timer);
    },
  };
}

describe('Agent', () => {
  let spool: MemorySpool;
  let transport: FakeTransport;
  let statuses: AgentSnapshot[];
  let events: string[];

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-26T08:00:00.000Z') });
    spool = new MemorySpool();
    transport = new FakeTransport();
    statuses = [];
    events = [];
    const close = spool.close.bind(spool);
    spool.close = () => {
      events.push('spool closed');
      close();
    };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function createAgent(
    coffee?: AgentDependencies['coffee'],
    services?: ConnectionService[],
    logger = silentLogger(),
  ): Agent {
    return new Agent({
      ...(coffee ? { coffee } : {}),
      ...(services ? { services } : {}),
      settings,
      spool,
      transport,
      createSampler: (onReading) => fakeSampler(spool, onReading, events),
      writeStatus: (snapshot) => {
        statuses.push(snapshot);
      },
      bootId: BOOT,
      agentVersion: '0.1.0',
      clock: systemClock,
      timers: systemTimers,
      logger,
    });
  }

  it('publishes one reading a second on the telemetry topic and a valid health message on connect and every minute', async () => {
    const agent = createAgent();
    agent.start();
    await vi.advanceTimersByTimeAsync(120_000);
    const telemetry = transport.acknowledged.filter((m) => m.topic === 'dt/coffee-iot/coffee-pi-1/telemetry');
    const seqs = telemetry.flatMap((m) => parseTelemetryEnvelope(m.payload).readings.map((r) => r.seq));
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));

    const health = transport.acknowledged.filter((m) => m.topic === 'dt/coffee-iot/coffee-pi-1/health');
    expect(health).toHaveLength(3); // on connect, at 60 s, at 120 s
    const last = JSON.parse(health[2]?.payload ?? '');
    expect(validateHealthMessage(last)).toEqual({ ok: true, value: last });
    expect(last).toMatchObject({
      deviceId: 'coffee-pi-1',
      uptimeSeconds: 120,
      spoolDepth: 0,
      transport: 'mqtt.js',
    });
    await agent.stop();
  });

  it('ends the connection for its services when it stops, so a request still waiting for an answer lets go', async () => {
    // A request's answer timer left running kept a stopped agent's process alive for 30 s, past
    // systemd's 10 s stop timeout (the ARM smoke test measured it).
    const contexts: ConnectionContext[] = [];
    const service: ConnectionService = {
      name: 'waiting',
      connected: async (context) => {
        contexts.push(context);
      },
      disconnected: () => {},
      stop: async () => {},
    };
    const agent = createAgent(undefined, [service]);
    agent.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.signal.aborted).toBe(false);

    await agent.stop();
    expect(contexts[0]?.signal.aborted).toBe(true);
  });

  it('logs a service that cannot start as an error, but not one cut off by the agent stopping', async () => {
    const { logger, lines } = captureLogs('debug');
    let failNow: (error: Error) => void = () => {};
    const failing: ConnectionService = {
      name: 'failing',
      connected: () => Promise.reject(new Error('SUBACK 0x80')),
      disconnected: () => {},
      stop: async () => {},
    };
    const cutOff: ConnectionService = {
      name: 'cut-off',
      connected: () =>
        new Promise<void>((_, reject) => {
          failNow = reject;
        }),
      disconnected: () => {},
      stop: async () => {},
    };
    const agent = createAgent(undefined, [failing, cutOff], logger);
    agent.start();
    await vi.advanceTimersByTimeAsync(2000);
    const stopping = agent.stop();
    failNow(new Error('Connection closed'));
    await stopping;

    const about = (name: string) => lines.filter((line) => line.service === name);
    expect(about('failing').map((line) => line.level)).toEqual([50]);
    expect(about('cut-off').map((line) => line.level)).toEqual([20]);
  });

  it('keeps sampling while the broker is unreachable and reports the backlog in its status', async () => {
    for (let i = 0; i < 20; i += 1) transport.connectScript.push(new Error('ECONNREFUSED'));
    const agent = createAgent();
    agent.start();
    await vi.advanceTimersByTimeAsync(30_000);
    const status = statuses.at(-1);
    expect(status?.connection).not.toBe('connected');
    expect(status?.spoolDepth).toBeGreaterThanOrEqual(25);
    expect(status?.oldestUnsentAtMs).toBe(Date.parse('2026-11-26T08:00:01.000Z'));
    await agent.stop();
  });

  it('stops in order: sampling first, the spool last, and records the final state', async () => {
    const agent = createAgent();
    agent.start();
    await vi.advanceTimersByTimeAsync(5000);
    await agent.stop();
    expect(events).toEqual(['sampler stopped', 'spool closed']);
    expect(statuses.at(-1)?.connection).toBe('stopped');
    expect(transport.connected).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps publishing telemetry when the coffee button cannot start (e.g. the outbox disk is unwritable)', async () => {
    const flow = new CoffeeFlow({
      deviceId: 'coffee-pi-1',
      bootId: BOOT,
      camera: { capture: async () => undefined },
      outbox: { stagingPath: () => '/nowhere.jpg', add: async () => undefined },
      countdown: async () => undefined,
      showError: () => undefined,
      queueEvent: () => undefined,
      cooldownMs: 0,
      clock: systemClock,
      logger: silentLogger(),
      newEventId: () => '00000000-0000-4000-8000-000000000001',
    });
    const station = new CoffeeStation({
      flow,
      triggers: [],
      leds: new RecordingLeds(),
      outbox: {
        start: async () => {
          throw new Error('EROFS: read-only file system, mkdir /var/lib/coffee-iot/outbox');
        },
        stop: async () => undefined,
        stats: () => ({ depth: 0, oldestCapturedAtMs: null, dropped: 0 }),
      },
      uploads: null,
      logger: silentLogger(),
    });
    const agent = createAgent({ station, events: new MemorySpool() });
    await agent.start();
    await vi.advanceTimersByTimeAsync(5000);
    const telemetry = transport.acknowledged.filter((m) => m.topic.endsWith('/telemetry'));
    expect(telemetry).toHaveLength(5);
    await agent.stop();
  });
});
