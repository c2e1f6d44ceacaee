import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, type AgentSettings } from '../agent.js';
import type { AgentConfig } from '../config/agent-config.js';
import type { ConfigFlagValues } from '../config/config-flags.js';
import { loadConfig } from '../config/load-config.js';
import { systemClock, systemTimers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { Sampler } from '../sampler.js';
import { MockSensors } from '../sensors/mock-sensors.js';
import { TEST_AGENT_SETTINGS } from '../testing/agent-settings.js';
import { captureLogs } from '../testing/capture-logs.js';
import { FakeShadow } from '../testing/fake-shadow.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { MemorySpool } from '../testing/memory-spool.js';
import { openRemoteConfig, type RemoteConfig } from './open-remote-config.js';
import { REMOTE_CONFIG_FILE } from './overrides-file.js';

const THING = 'coffee-pi-1';
const BOOT = '22222222-2222-4222-8222-222222222222';
const START = Date.parse('2026-11-26T08:00:00.000Z');

/**
 * Waits for work that does real file I/O (the overrides file is fsynced) while the clock stands
 * still: yields to the event loop until `done()` holds, without moving fake time.
 */
async function until(done: () => boolean, what: string): Promise<void> {
  const giveUpAt = performance.now() + 10_000; // real time: fsync speed depends on the machine
  while (performance.now() < giveUpAt) {
    if (done()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(0);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Device {
  agent: Agent;
  remote: RemoteConfig;
  transport: FakeTransport;
  shadow: FakeShadow;
  config: AgentConfig;
  readingTimes: number[];
  health: () => number;
  reportsOf: () => Record<string, unknown>[];
}

describe('config shadow', () => {
  let stateDir: string;
  let configPath: string;
  let devices: Agent[];

  beforeEach(() => {
    // setImmediate stays real so file I/O can complete while fake time stands still.
    vi.useFakeTimers({
      now: START,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    stateDir = mkdtempSync(join(tmpdir(), 'coffee-shadow-'));
    configPath = join(stateDir, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        thingName: THING,
        endpoint: 'localhost',
        cert: 'cert.pem',
        key: 'key.pem',
        rootCa: 'ca.pem',
        stateDir,
        intervalMs: 60_000,
      }),
    );
    devices = [];
  });

  afterEach(async () => {
    for (const agent of devices) await agent.stop();
    vi.useRealTimers();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function load(flags: ConfigFlagValues = {}) {
    return loadConfig({ configPath, env: {}, flags, checkFiles: false });
  }

  /** The agent as the runner builds it, with a real sampler, on a fake broker that plays the shadow. */
  function device(
    options: { flags?: ConfigFlagValues; logger?: Logger; transport?: FakeTransport } = {},
  ): Device {
    const loaded = load(options.flags);
    const { config } = loaded;
    const transport = options.transport ?? new FakeTransport();
    const shadow = new FakeShadow(transport, THING);
    const logger = options.logger ?? captureLogs('warn').logger;
    const spool = new MemorySpool();
    const readingTimes: number[] = [];
    let agent: Agent | undefined;
    const remote = openRemoteConfig({
      config,
      pinned: loaded.pinned,
      overrides: loaded.remote,
      agent: () => agent,
      logger,
      clock: systemClock,
    });
    const settings: AgentSettings = {
      ...TEST_AGENT_SETTINGS,
      thingName: config.thingName,
      batchSeconds: config.batchSeconds,
      healthIntervalSeconds: config.healthIntervalSeconds,
    };
    agent = new Agent({
      settings,
      spool,
      transport,
      services: [remote.service],
      remoteConfigStatus: () => remote.service.status(),
      createSampler: (onReading) => {
        const sampler = new Sampler({
          sensors: new MockSensors({ seed: 7 }),
          spool,
          bootId: BOOT,
          logger,
          intervalMs: config.intervalMs,
          clock: systemClock,
          monotonic: { now: () => Date.now() },
          timers: systemTimers,
        });
        sampler.onReading(() => {
          readingTimes.push(Date.now());
          onReading();
        });
        return sampler;
      },
      bootId: BOOT,
      agentVersion: '0.1.0',
      clock: systemClock,
      timers: systemTimers,
      logger,
    });
    devices.push(agent);
    const reportsOf = () =>
      shadow.updates.map((update) => update.state.reported as Record<string, unknown>).filter(Boolean);
    const health = () => transport.acknowledged.filter((p) => p.topic.endsWith('/health')).length;
    return { agent, remote, transport, shadow, config, readingTimes, health, reportsOf };
  }

  /** Starts the agent and waits for the first sync (the get on connect, answered by the shadow). */
  async function connect(d: Device): Promise<void> {
    await d.agent.start();
    await until(() => d.remote.service.status().syncedAtMs !== null, 'the first shadow sync');
  }

  it('applies a desired sampling interval without a restart: the next reading comes within one new interval', async () => {
    const d = device();
    await connect(d);
    await vi.advanceTimersByTimeAsync(60_000); // one reading on the 60 s grid
    expect(d.readingTimes).toEqual([START + 60_000]);
    await vi.advanceTimersByTimeAsync(250);

    const changedAt = Date.now();
    d.shadow.setDesired({ intervalMs: 1000 });
    await until(() => d.shadow.reported.intervalMs === 1000, 'reported intervalMs 1000');
    expect(Date.now()).toBe(changedAt); // applied while no time passed
    await vi.advanceTimersByTimeAsync(1000);

    // On the old grid the next reading would be 59.75 s away; on the new one it is within 1 s.
    const after = d.readingTimes.filter((t) => t > changedAt);
    expect(after).toHaveLength(1);
    expect((after[0] as number) - changedAt).toBeLessThanOrEqual(1000);
    await vi.advanceTimersByTimeAsync(3000);
    const later = d.readingTimes.filter((t) => t > changedAt);
    expect(later.slice(1).map((t, i) => t - (later[i] as number))).toEqual([1000, 1000, 1000]);
    expect(d.shadow.delta()).toEqual({});
    expect(d.agent.snapshot().remoteConfig).toMatchObject({
      applied: ['intervalMs'],
      refused: {},
      lastError: null,
    });
  });

  it('applies batching, countdown, log level and health interval live, and reports each as in effect', async () => {
    const { logger, lines } = captureLogs('info');
    const d = device({ logger });
    await connect(d);
    const healthBefore = d.health();
    d.shadow.setDesired({ healthIntervalSeconds: 5, logLevel: 'debug', batchSeconds: 30 });
    await until(() => d.shadow.reported.logLevel === 'debug', 'reported logLevel');
    expect(d.shadow.reported).toMatchObject({ healthIntervalSeconds: 5, batchSeconds: 30 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(d.health()).toBe(healthBefore + 1); // every 5 s now, not 60 s
    expect(lines.some((line) => line.level === 20)).toBe(true); // debug lines now logged
    // No coffee station in this agent: the countdown is saved for the next start, and says so.
    d.shadow.setDesired({ coffee: { countdownSeconds: 5 } });
    await until(() => d.shadow.reported.pendingRestart !== undefined, 'pendingRestart reported');
    expect(d.shadow.reported.pendingRestart).toEqual({ 'coffee.countdownSeconds': 5 });
  });

  it('refuses an invalid value with the reason from the config schema, and clears it when a valid value comes', async () => {
    const d = device();
    await connect(d);
    d.shadow.setDesired({ intervalMs: 50, logLevel: 'loud', endpoint: 'evil.example.com', colour: 'red' });
    await until(() => d.shadow.reported.refused !== undefined, 'refusals reported');
    const refused = d.shadow.reported.refused as Record<string, string>;
    expect(refused.intervalMs).toMatch(
      /^intervalMs: must be >= 100, got 50; expected milliseconds between readings/,
    );
    expect(refused.logLevel).toMatch(/must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(refused.endpoint).toMatch(/broker where nobody can reach it/);
    expect(refused.colour).toMatch(/unknown key/);
    expect(d.shadow.reported.intervalMs).toBe(60_000); // the value in effect, unchanged
    expect(d.agent.snapshot().remoteConfig?.refused).toEqual(refused);

    d.shadow.setDesired({ intervalMs: 2000 });
    await until(() => d.shadow.reported.intervalMs === 2000, 'reported intervalMs 2000');
    expect(Object.keys(d.shadow.reported.refused as object).sort()).toEqual([
      'colour',
      'endpoint',
      'logLevel',
    ]);
    expect(d.agent.snapshot().remoteConfig?.refused).not.toHaveProperty('intervalMs');
  });

  it('saves a key that needs a restart and reports it pending; the next start uses it', async () => {
    const d = device();
    await connect(d);
    d.shadow.setDesired({ transport: 'mqtt.js', publish: { maxInFlight: 5 } });
    await until(() => d.shadow.reported.pendingRestart !== undefined, 'pendingRestart reported');
    expect(d.shadow.reported.pendingRestart).toEqual({ transport: 'mqtt.js', 'publish.maxInFlight': 5 });
    expect(d.shadow.reported.transport).toBe('auto'); // still in effect until the restart
    expect(load().config).toMatchObject({ transport: 'mqtt.js', publish: { maxInFlight: 5 } });
  });

  it('applies a change made while offline on reconnect (get on connect)', async () => {
    const d = device();
    await connect(d);
    d.transport.connectScript.push(new Error('broker down'));
    d.transport.dropConnection();
    d.shadow.setDesired({ intervalMs: 5000 }); // nobody subscribed: the delta is lost, as on AWS
    expect(d.remote.applier.valueInEffect('intervalMs')).toBe(60_000);
    const getsBefore = d.shadow.gets;

    await vi.advanceTimersByTimeAsync(61_000); // backoff, a failed attempt, then a reconnect
    await until(() => d.shadow.reported.intervalMs === 5000, 'reported intervalMs after reconnect');
    expect(d.shadow.gets).toBe(getsBefore + 1);
    expect(d.remote.applier.valueInEffect('intervalMs')).toBe(5000);
  });

  it('reports on reconnect a change whose report was lost with the connection', async () => {
    const d = device();
    await connect(d);
    d.transport.autoAck = false;
    d.shadow.setDesired({ intervalMs: 2000 });
    await until(
      () => d.transport.pending.some((p) => p.topic === d.shadow.topics.update),
      'the report in flight',
    );
    d.transport.dropConnection(); // no PUBACK: the shadow never saw the report
    d.transport.autoAck = true;
    expect(d.shadow.reported.intervalMs).toBe(60_000);

    await vi.advanceTimersByTimeAsync(61_000);
    await until(() => d.shadow.reported.intervalMs === 2000, 'reported intervalMs after reconnect');
    expect(d.remote.service.status().ignoredStaleDeltas).toBe(0);
  });

  it('keeps remote settings across a restart: a new agent reads them from the state directory', async () => {
    const first = device();
    await connect(first);
    first.shadow.setDesired({ intervalMs: 5000, batchSeconds: 10 });
    await until(() => first.shadow.reported.batchSeconds === 10, 'reported batchSeconds');
    await first.agent.stop();

    const saved = JSON.parse(readFileSync(join(stateDir, REMOTE_CONFIG_FILE), 'utf8'));
    expect(saved).toMatchObject({ v: 1, overrides: { intervalMs: 5000, batchSeconds: 10 } });

    // Rebooted offline: the broker refuses, yet sampling runs on the remote interval.
    const offline = new FakeTransport();
    offline.connectScript.push(new Error('no network'), new Error('no network'));
    const second = device({ transport: offline });
    expect(second.config).toMatchObject({ intervalMs: 5000, batchSeconds: 10 });
    await second.agent.start();
    const from = Date.now();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(second.readingTimes.filter((t) => t > from)).toHaveLength(4);
  });

  it('refuses a key pinned by a command-line flag, and keeps the flag value', async () => {
    const d = device({ flags: { 'batch-seconds': '5' } });
    await connect(d);
    d.shadow.setDesired({ batchSeconds: 30, intervalMs: 2000 });
    await until(() => d.shadow.reported.intervalMs === 2000, 'reported intervalMs');
    expect((d.shadow.reported.refused as Record<string, string>).batchSeconds).toMatch(
      /^pinned by a command-line flag \(--batch-seconds\)/,
    );
    expect(d.shadow.reported.batchSeconds).toBe(5);
    expect(load({ 'batch-seconds': '5' }).config.batchSeconds).toBe(5);
  });

  it('ignores a delta older than the last one applied (a redelivery)', async () => {
    const d = device();
    await connect(d);
    d.shadow.setDesired({ intervalMs: 2000 });
    await until(() => d.shadow.reported.intervalMs === 2000, 'reported intervalMs 2000');
    const reportsBefore = d.shadow.updates.length;
    d.transport.deliver(d.shadow.topics.updateDelta, {
      state: { intervalMs: 7000 },
      metadata: {},
      version: 1,
      timestamp: 0,
    });
    await until(() => d.remote.service.status().ignoredStaleDeltas === 1, 'the stale delta counted');
    expect(d.remote.applier.valueInEffect('intervalMs')).toBe(2000);
    expect(d.shadow.updates).toHaveLength(reportsBefore);
  });

  it('ignores an answer to a get it did not send (someone else reading the shadow)', async () => {
    const d = device();
    await connect(d);
    d.transport.deliver(d.shadow.topics.getAccepted, {
      state: { delta: { intervalMs: 9000 } },
      metadata: {},
      version: 99,
      timestamp: 0,
      clientToken: 'the-cli',
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(d.remote.applier.valueInEffect('intervalMs')).toBe(60_000);
  });

  it('reports a change made by a set-config job, so the shadow shows what is in effect', async () => {
    const d = device();
    await connect(d);
    const result = await d.remote.applier.apply({ intervalMs: 3000, transport: 'mqtt.js' }, 'job');
    expect(result).toEqual({
      applied: { intervalMs: 3000 },
      refused: {},
      pendingRestart: { transport: 'mqtt.js' },
    });
    await until(() => d.shadow.reported.intervalMs === 3000, 'reported intervalMs 3000');
    expect(d.shadow.reported.pendingRestart).toEqual({ transport: 'mqtt.js' });
  });

  it('logs a refused subscription clearly, retries it on the next connection, and telemetry goes on', async () => {
    const { logger, lines } = captureLogs('warn');
    const transport = new FakeTransport();
    const d = device({ logger, transport });
    transport.refusedFilters.add(d.shadow.topics.updateDelta);
    await d.agent.start();
    await vi.advanceTimersByTimeAsync(120_000);

    const failure = lines.find((line) => line.service === 'config-shadow');
    expect(failure?.msg).toBe('config-shadow could not start on this connection');
    expect((failure?.err as { message?: string } | undefined)?.message).toMatch(
      /broker refused \$aws\/things\/coffee-pi-1\/shadow\/name\/config\/update\/delta; check that the thing's IoT policy allows iot:Subscribe/,
    );
    expect(d.agent.snapshot().remoteConfig?.lastError).toMatch(/broker refused/);
    expect(
      transport.acknowledged.filter((p) => p.topic.endsWith('/telemetry')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(d.shadow.gets).toBe(0);

    transport.refusedFilters.clear();
    transport.dropConnection();
    await vi.advanceTimersByTimeAsync(61_000);
    await until(() => d.shadow.gets === 1, 'the get on the next connection');
    await until(() => d.remote.service.status().lastError === null, 'the sync on the next connection');
  });
});
