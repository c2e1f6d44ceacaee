import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type AgentSettings } from './agent.js';
import { readAgentVersion } from './agent-version.js';
import type { PressTrigger } from './button/button-port.js';
import { openCertificateRotation } from './certificates/open-rotation.js';
import { systemClockSync } from './clock/clock-setup.js';
import { openCoffeeStation } from './coffee/open-coffee-station.js';
import type { AgentConfig } from './config/agent-config.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_RESTART_REQUESTED } from './exit-codes.js';
import type { AgentSnapshot } from './health/agent-snapshot.js';
import type { JobsStatus } from './jobs/jobs-service.js';
import { type OpenedJobs, openJobs } from './jobs/open-jobs.js';
import { type Clock, systemClock, systemTimers, type Timers } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { nodeProcessHooks, type ProcessHooks } from './process-hooks.js';
import { provisionIfNeeded } from './provisioning/first-boot.js';
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
  type JobsStatusFile,
  type RemoteConfigStatus,
  STATUS_WRITE_INTERVAL_MS,
  writeStatusFile,
} from './status/status-file.js';
import { createTransport } from './transport/select-transport.js';
import { createUpdateAgentHandler } from './update/update-agent-handler.js';

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
  /**
   * A file this agent's log is also written to: where the upload-logs job reads when the agent is
   * not under systemd (the local stack's simulated devices). Under systemd the journal is read.
   */
  logFile?: string;
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
    ...(snapshot.jobs ? { jobs: jobsStatusFile(snapshot.jobs) } : {}),
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

function jobsStatusFile(jobs: JobsStatus): JobsStatusFile {
  const iso = (ms: number) => new Date(ms).toISOString();
  const { current, last } = jobs;
  return {
    ...jobs,
    current: current && {
      jobId: current.jobId,
      operation: current.operation,
      startedAt: iso(current.startedAtMs),
    },
    last: last && {
      jobId: last.jobId,
      operation: last.operation,
      status: last.status,
      reason: last.reason,
      at: iso(last.atMs),
    },
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
export async function runAgent(configured: AgentConfig, options: RunAgentOptions): Promise<number> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const hooks = options.processHooks ?? nodeProcessHooks;
  const bootId = randomUUID();
  // First boot of a claim image: provision, then run as the new thing at once (device/src/provisioning/).
  const config = await provisionIfNeeded(configured, { logger, clock, timers });

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
  // Certificate rotation (rotate-cert jobs): finishes a switch a crash interrupted before the first
  // connect; its transport can force a reconnect so the new files are read (device/src/certificates/).
  const rotation = await openCertificateRotation(
    config,
    await createTransport(
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
    ),
    { logger, timers },
  );
  const { transport } = rotation;

  // Late-bound: the station queues events that the agent's publisher sends.
  let agent: Agent | undefined;
  let jobs: OpenedJobs | undefined;
  const { station, s3, setCountdownSeconds } = await openCoffeeStation({
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
      jobs?.photoTaker.eventQueued(event); // a capture-photo job learns its press's outcome here
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

  // Jobs: allow-listed handlers only. A job that restarts the agent (restart, update-agent) makes
  // runAgent stop as on SIGTERM and return EXIT_RESTART_REQUESTED, which systemd restarts.
  // Handlers built elsewhere (update-agent, rotate-cert) join the allow-list via extraHandlers.
  let requestRestart: (jobId: string) => void = () => {};
  const restartRequested = new Promise<string>((resolve) => {
    requestRestart = resolve;
  });
  const openedJobs = openJobs({
    config,
    bootId,
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    station: () => station,
    s3,
    applier: remoteConfig.applier,
    extraHandlers: [
      rotation.handler,
      // Signed updates: refused (FAILED, naming the key) unless updatePublicKeyPath is configured.
      createUpdateAgentHandler({
        publicKeyPath: config.updatePublicKeyPath,
        runningVersion: readAgentVersion(),
        health: { hasPublished: () => agent?.snapshot().lastPubackAtMs != null },
        logger: logger.child({ component: 'update' }),
        clock,
        timers,
      }),
    ],
    onRestartRequested: (jobId) => requestRestart(jobId),
    clock,
    timers,
    logger,
  });
  jobs = openedJobs;

  agent = new Agent({
    services: [remoteConfig.service, openedJobs.service, rotation.service],
    jobsStatus: () => openedJobs.service.status(),
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
  const signal = await new Promise<NodeJS.Signals | 'restart-job'>((resolve) => {
    const unsubscribe = hooks.onShutdownSignal((received) => {
      unsubscribe();
      resolve(received);
    });
    void restartRequested.then(() => {
      unsubscribe();
      resolve('restart-job');
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
  return signal === 'restart-job' ? EXIT_RESTART_REQUESTED : EXIT_OK;
}

async function openSensors(config: AgentConfig, clock: Clock): Promise<SensorReader> {
  if (config.mock) {
    return new MockSensors({ seed: config.mockSeed ?? Math.floor(Math.random() * 2 ** 31), clock });
  }
  return openSenseHat();
}
