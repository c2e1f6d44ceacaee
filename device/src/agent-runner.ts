import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type AgentSettings } from './agent.js';
import { readAgentVersion } from './agent-version.js';
import type { PressTrigger } from './button/button-port.js';
import { systemClockSync } from './clock/clock-setup.js';
import { openCoffeeStation } from './coffee/open-coffee-station.js';
import type { AgentConfig } from './config/agent-config.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import type { AgentSnapshot } from './health/agent-snapshot.js';
import { type Clock, systemClock, systemTimers, type Timers } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { nodeProcessHooks, type ProcessHooks } from './process-hooks.js';
import { openRemoteConfig } from './remote-config/open-remote-config.js';
import type { RemoteConfigSyncStatus } from './remote-config/sync-status.js';
import { Sampler } from './sampler.js';
import { SysfsCpuTemperature } from './sensors/cpu-temperature.js';
import { MockSensors } from './sensors/mock-sensors.js';
import { openSenseHat } from './sensors/sense-hat-sensors.js';
import type { SensorReader } from './sensors/sensor-port.js';
import { SqliteSpool } from './spool/sqlite-spool.js';
import {
  type AgentStatus,
  type RemoteConfigStatus,
  STATUS_WRITE_INTERVAL_MS,
  writeStatusFile,
} from './status/status-file.js';
import { createTransport } from './transport/select-transport.js';

// Startup failures are mapped to their exit codes by exitCodeFor (the CLI applies it).
export { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';

/** systemd's TimeoutStopSec is 10 s; we promise 5 s, so in-flight PUBACKs get at most 2 s. */
const DRAIN_MS = 2000;
const SHUTDOWN_DEADLINE_MS = 4500;

export interface RunAgentOptions {
  logger: Logger;
  warnings: readonly string[];
  processHooks?: ProcessHooks;
  clock?: Clock;
  timers?: Timers;
  /** Replaces the Sense HAT (tests); otherwise config.mock decides. */
  sensors?: SensorReader;
  /**
   * Replace the configured press triggers (button, joystick, keyboard): the local stack's
   * simulated fleet presses from its dashboard. The control port, when configured, still works.
   */
  triggers?: PressTrigger[];
  /** LoadedConfig.pinned and .remote: keys pinned on the device, remote settings already in effect. */
  pinned?: ReadonlyMap<string, string>;
  remoteOverrides?: Readonly<Record<string, unknown>>;
}

/** Spool database inside the state directory. */
export function spoolPath(stateDir: string): string {
  return join(stateDir, 'spool.sqlite');
}

export function agentSettings(config: AgentConfig): AgentSettings {
  return {
    thingName: config.thingName,
    endpoint: config.endpoint,
    topicPrefix: config.topicPrefix,
    batchSeconds: config.batchSeconds,
    healthIntervalSeconds: config.healthIntervalSeconds,
    statusIntervalMs: STATUS_WRITE_INTERVAL_MS,
    drainMs: DRAIN_MS,
    publish: config.publish,
    reconnect: config.reconnect,
  };
}

export function toAgentStatus(snapshot: AgentSnapshot, pid: number): AgentStatus {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    pid,
    updatedAt: new Date(snapshot.nowMs).toISOString(),
    connection: snapshot.connection,
    transport: snapshot.transport,
    endpoint: `${snapshot.endpoint}`,
    spoolDepth: snapshot.spoolDepth,
    oldestUnsentAt: iso(snapshot.oldestUnsentAtMs),
    droppedReadings: snapshot.droppedReadings,
    sensorErrors: snapshot.sensorErrors,
    unstoredReadings: { ...snapshot.unstoredReadings },
    storageFailure: snapshot.storageFailure
      ? {
          cause: snapshot.storageFailure.cause,
          path: snapshot.storageFailure.path,
          since: new Date(snapshot.storageFailure.sinceMs).toISOString(),
        }
      : null,
    lastPubackAt: iso(snapshot.lastPubackAtMs),
    agentVersion: snapshot.agentVersion,
    startedAt: new Date(snapshot.startedAtMs).toISOString(),
    ...(snapshot.clock ? { clock: { ...snapshot.clock } } : {}),
    ...(snapshot.remoteConfig ? { remoteConfig: remoteConfigStatus(snapshot.remoteConfig) } : {}),
    ...(snapshot.coffee
      ? {
          coffee: {
            presses: snapshot.coffee.presses,
            skippedPresses: snapshot.coffee.skippedPresses,
            captureFailures: snapshot.coffee.captureFailures,
            outboxDepth: snapshot.coffee.outboxDepth,
            oldestPendingPhotoAt: iso(snapshot.coffee.oldestPendingPhotoAtMs),
            outboxDropped: snapshot.coffee.outboxDropped,
            uploaded: snapshot.coffee.uploaded,
            uploadFailures: snapshot.coffee.uploadFailures,
            pendingEvents: snapshot.coffee.pendingEvents,
            unrecordedPresses: { ...snapshot.coffee.unrecordedPresses },
            outboxWriteFailures: { ...snapshot.coffee.outboxWriteFailures },
          },
        }
      : {}),
  };
}

function remoteConfigStatus(sync: RemoteConfigSyncStatus): RemoteConfigStatus {
  const { syncedAtMs, ...rest } = sync;
  return { ...rest, syncedAt: syncedAtMs === null ? null : new Date(syncedAtMs).toISOString() };
}

/**
 * Builds the real parts from the configuration, runs the agent until SIGTERM/SIGINT and
 * shuts it down within 5 s. Resolves with the process exit code.
 */
export async function runAgent(config: AgentConfig, options: RunAgentOptions): Promise<number> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const hooks = options.processHooks ?? nodeProcessHooks;
  const bootId = randomUUID();

  mkdirSync(config.stateDir, { recursive: true, mode: 0o750 });
  const sensors = options.sensors ?? (await openSensors(config, clock));
  const spool = new SqliteSpool({
    path: spoolPath(config.stateDir),
    limits: {
      maxReadings: config.spool.maxReadings,
      maxBytes: config.spool.maxBytes,
      maxAgeSeconds: config.spool.maxAgeHours * 3600,
    },
    logger: logger.child({ component: 'spool' }),
    clock,
  });
  const transport = await createTransport(
    config.transport,
    {
      endpoint: config.endpoint,
      port: config.port,
      clientId: config.thingName,
      certPath: config.cert,
      keyPath: config.key,
      caPath: config.rootCa,
      keepAliveSeconds: config.keepAliveSeconds,
      connectTimeoutMs: config.connectTimeoutMs,
    },
    logger,
    { timers },
  );

  // Late-bound: the station queues events that the agent's publisher sends.
  let agent: Agent | undefined;
  const { station, setCountdownSeconds } = await openCoffeeStation({
    config,
    bootId,
    logger,
    clock,
    timers,
    ...(options.triggers ? { triggers: options.triggers } : {}),
    queueEvent: (event, reservation) => {
      spool.coffeeEvents.append(JSON.stringify(event), clock.now(), bootId, {
        eventId: event.eventId,
        ...(reservation === undefined ? {} : { replaces: reservation }),
      });
      agent?.coffeeEventQueued();
    },
    // A press is answered only once this is on disk (a full disk answers an error instead).
    reservePress: (fallback) =>
      spool.coffeeEvents.reserve(JSON.stringify(fallback), clock.now(), bootId, fallback.eventId),
  });

  // Live remote configuration: the `config` shadow; set-config jobs use remoteConfig.applier too.
  const remoteConfig = openRemoteConfig({
    config,
    pinned: options.pinned,
    overrides: options.remoteOverrides,
    agent: () => agent,
    setCountdownSeconds,
    logger,
    clock,
  });

  agent = new Agent({
    services: [remoteConfig.service],
    remoteConfigStatus: () => remoteConfig.service.status(),
    coffee: { station, events: spool.coffeeEvents },
    settings: agentSettings(config),
    spool,
    transport,
    createSampler: (onReading) => {
      const sampler = new Sampler({
        sensors,
        spool,
        bootId,
        logger: logger.child({ component: 'sampler' }),
        intervalMs: config.intervalMs,
        clock,
        timers,
        cpuTemperature: new SysfsCpuTemperature(),
        compensation: config.sensors.temperatureCompensation,
      });
      sampler.onReading(() => onReading());
      return sampler;
    },
    writeStatus: (snapshot) => writeStatusFile(config.stateDir, toAgentStatus(snapshot, hooks.pid)),
    bootId,
    agentVersion: readAgentVersion(),
    // Readings stamped by a clock NTP has not set yet are held, then restamped (clock/).
    clockSync: systemClockSync(config.stateDir, config.clockSyncWaitSeconds),
    clock,
    timers,
    logger,
  });

  const running = agent;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const unsubscribe = hooks.onShutdownSignal((received) => {
      unsubscribe();
      resolve(received);
    });
    void running.start();
  });
  logger.info({ signal }, 'shutdown requested');
  let deadline: ReturnType<Timers['setTimeout']> | undefined;
  const outcome = await Promise.race([
    running.stop().then(() => 'stopped' as const),
    new Promise<'deadline'>((resolve) => {
      deadline = timers.setTimeout(() => resolve('deadline'), SHUTDOWN_DEADLINE_MS);
    }),
  ]);
  if (deadline) timers.clearTimeout(deadline);
  await sensors.close();
  if (outcome === 'deadline') {
    // Everything unacknowledged is still in the spool (committed before publishing), so
    // exiting now loses nothing; it only means a resend after restart.
    logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting anyway');
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

async function openSensors(config: AgentConfig, clock: Clock): Promise<SensorReader> {
  if (config.mock) {
    return new MockSensors({ seed: config.mockSeed ?? Math.floor(Math.random() * 2 ** 31), clock });
  }
  return openSenseHat();
}
