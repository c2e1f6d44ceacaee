import { buildTopic } from '@coffee-iot/shared';
import { ClockGuard } from './clock/clock-guard.js';
import type { ClockSyncSetup } from './clock/clock-setup.js';
import { packOneEvent } from './coffee/coffee-event.js';
import type { CoffeeStation } from './coffee/coffee-station.js';
import type { BackoffPolicy } from './connection/backoff.js';
import { ConnectionSupervisor } from './connection/connection-supervisor.js';
import type { AgentSnapshot } from './health/agent-snapshot.js';
import { toHealthMessage } from './health/health-message.js';
import { PeriodicTask } from './health/periodic-task.js';
import type { JobsStatus } from './jobs/jobs-service.js';
import type { Clock, Timers } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { PublishRateLimiter, type PublishSlot } from './publisher/rate-limiter.js';
import { type PublishLimits, type PublishQueue, SpoolPublisher } from './publisher/spool-publisher.js';
import type { ConnectionContext, ConnectionService } from './remote/connection-service.js';
import type { RemoteConfigSyncStatus } from './remote-config/sync-status.js';
import type { ReadingSpool } from './spool/spool-port.js';
import type { MqttTransport } from './transport/transport-port.js';

/** The part of the sampler the agent drives (device/src/sampler.ts). */
export interface SamplerHandle {
  start(): void;
  stop(): Promise<void>;
  /** sensorErrors = failed sensor reads since start. */
  stats(): { sensorErrors: number };
  /** Changes the sampling interval at run time (the config shadow); absent = needs a restart. */
  setIntervalMs?(intervalMs: number): void;
}

/** The agent settings a remote change applies without a restart (device/src/remote-config). */
export interface LiveAgentSettings {
  intervalMs?: number;
  batchSeconds?: number;
  healthIntervalSeconds?: number;
}

export interface AgentSettings {
  thingName: string;
  endpoint: string;
  topicPrefix: string;
  batchSeconds: number;
  healthIntervalSeconds: number;
  /** How often the local status file is refreshed, ms. */
  statusIntervalMs: number;
  /** How long shutdown waits for in-flight PUBACKs, ms. */
  drainMs: number;
  publish: PublishLimits;
  reconnect: BackoffPolicy;
}

export interface AgentDependencies {
  settings: AgentSettings;
  spool: ReadingSpool;
  transport: MqttTransport;
  /** Builds the sampler; `onReading` must be called after each reading is spooled. */
  createSampler: (onReading: () => void) => SamplerHandle;
  /** The coffee button, when enabled, and the durable queue its events wait in. */
  coffee?: {
    station: CoffeeStation;
    events: PublishQueue & { stats(): { depth: number } };
  };
  /** Persists the snapshot for `coffee-iot-agent status`; optional in tests. */
  writeStatus?: (snapshot: AgentSnapshot) => void | Promise<void>;
  /**
   * Whether the wall clock can be trusted (device/src/clock/clock-guard.ts). Absent: it always is,
   * as before; a Pi without a real-time clock needs it.
   */
  clockSync?: ClockSyncSetup;
  /** Parts that live on the MQTT connection: the config shadow, jobs, certificate rotation. */
  services?: readonly ConnectionService[];
  /** What the last config shadow sync did, for the snapshot (device/src/remote-config). */
  remoteConfigStatus?: () => RemoteConfigSyncStatus;
  /** The job in progress and the last outcome, for the snapshot (device/src/jobs). */
  jobsStatus?: () => JobsStatus;
  bootId: string;
  agentVersion: string;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  random?: () => number;
}

/**
 * Wires the telemetry path: sampler → spool → publisher → MQTT, plus health and status.
 * start() and stop() are symmetrical; stop() loses nothing because every reading is on
 * disk before it is published and leaves the spool only after its PUBACK.
 */
export class Agent {
  private readonly supervisor: ConnectionSupervisor;
  private readonly publisher: SpoolPublisher;
  private readonly eventPublisher: SpoolPublisher | null;
  private readonly sampler: SamplerHandle;
  private readonly clockGuard: ClockGuard | null;
  private readonly health: PeriodicTask;
  private readonly status: PeriodicTask | null;
  private readonly spoolLimits: PeriodicTask;
  private readonly healthTopic: string;
  private readonly rateLimiter: PublishRateLimiter;
  private startedAtMs = 0;
  private stopped: Promise<void> | null = null;
  /** Aborted when shutdown starts, so a health publish waiting for a rate slot gives up. */
  private readonly shutdownSignal = new AbortController();
  /** Aborted when the current connection ends; services' waits hang off it. */
  private connectionSignal = new AbortController();

  constructor(private readonly deps: AgentDependencies) {
    const { settings, clock, timers, logger } = deps;
    const topic = buildTopic({
      prefix: settings.topicPrefix,
      thingName: settings.thingName,
      kind: 'telemetry',
    });
    this.healthTopic = buildTopic({
      prefix: settings.topicPrefix,
      thingName: settings.thingName,
      kind: 'health',
    });
    // One limiter for every publish on the connection: IoT Core counts health messages too.
    this.rateLimiter = new PublishRateLimiter(settings.publish.maxPublishesPerSecond, 1000, clock, timers);
    const { clockSync } = deps;
    this.clockGuard = clockSync
      ? new ClockGuard({
          sync: clockSync.port,
          monotonic: clockSync.monotonic,
          waitSeconds: clockSync.waitSeconds,
          ...(clockSync.store ? { store: clockSync.store } : {}),
          kernelBootId: clockSync.kernelBootId ?? null,
          clock,
          timers,
          logger: logger.child({ component: 'clock' }),
          lastSeq: () => deps.spool.stats().lastSeq,
          onRelease: () => this.publisher.notify(),
        })
      : null;
    const guard = this.clockGuard;
    if (guard) deps.spool.exemptFromAgeExpiry?.(() => guard.oldestUntrustedSeq());
    this.publisher = new SpoolPublisher({
      rateLimiter: this.rateLimiter,
      // Readings stamped before the clock could be trusted are held back, and restamped, here.
      queue: this.clockGuard ? this.clockGuard.gate(deps.spool) : deps.spool,
      deviceId: settings.thingName,
      topic,
      limits: settings.publish,
      batchMs: settings.batchSeconds * 1000,
      clock,
      timers,
      logger: logger.child({ component: 'publisher' }),
    });
    const { coffee } = deps;
    this.eventPublisher = coffee
      ? new SpoolPublisher({
          rateLimiter: this.rateLimiter,
          queue: coffee.events,
          pack: packOneEvent,
          deviceId: settings.thingName,
          topic: buildTopic({ prefix: settings.topicPrefix, thingName: settings.thingName, kind: 'coffee' }),
          limits: settings.publish,
          batchMs: 0,
          clock,
          timers,
          logger: logger.child({ component: 'coffee-publisher' }),
        })
      : null;
    this.supervisor = new ConnectionSupervisor({
      transport: deps.transport,
      backoff: settings.reconnect,
      clock,
      timers,
      logger: logger.child({ component: 'connection' }),
      ...(deps.random ? { random: deps.random } : {}),
      onConnected: (transport) => {
        this.publisher.attach(transport);
        this.eventPublisher?.attach(transport);
        coffee?.station.connectionChanged(true);
        // A fresh connection is the moment an operator most wants to see the device's state.
        void this.publishHealth();
        this.startServices(transport);
      },
      onDisconnected: () => {
        this.connectionSignal.abort(new Error('connection ended'));
        for (const service of deps.services ?? []) service.disconnected();
        this.publisher.detach();
        this.eventPublisher?.detach();
        coffee?.station.connectionChanged(false);
      },
    });
    // The guard sees each reading before the publisher can send it (a clock step is caught at once).
    this.sampler = deps.createSampler(() => {
      this.clockGuard?.readingSpooled();
      this.publisher.notify();
    });
    this.health = new PeriodicTask(
      'health',
      settings.healthIntervalSeconds * 1000,
      () => this.publishHealth(),
      timers,
      logger,
    );
    // Appends enforce the caps too, but with a dead sensor nothing appends: age out anyway.
    this.spoolLimits = new PeriodicTask(
      'spool-limits',
      60_000,
      () => void deps.spool.enforceLimits(),
      timers,
      logger,
    );
    const { writeStatus } = deps;
    this.status = writeStatus
      ? new PeriodicTask(
          'status-file',
          settings.statusIntervalMs,
          () => writeStatus(this.snapshot()),
          timers,
          logger,
        )
      : null;
  }

  /** A coffee event was queued in the spool: publish it. */
  coffeeEventQueued(): void {
    this.eventPublisher?.notify();
  }

  async start(): Promise<void> {
    this.startedAtMs = this.deps.clock.now();
    this.deps.logger.info(
      {
        deviceId: this.deps.settings.thingName,
        bootId: this.deps.bootId,
        transport: this.deps.transport.name,
        endpoint: this.deps.settings.endpoint,
        spoolDepth: this.deps.spool.stats().depth,
      },
      'agent starting',
    );
    this.publisher.start();
    this.eventPublisher?.start();
    this.supervisor.start();
    this.clockGuard?.start();
    this.sampler.start();
    this.health.start();
    this.spoolLimits.start();
    this.status?.start(true);
    try {
      await this.deps.coffee?.station.start();
    } catch (error) {
      // The coffee button is the second job; telemetry, already running, must not stop for it.
      this.deps.logger.error({ err: error }, 'coffee button could not start; telemetry continues');
    }
  }

  /**
   * Applies settings at run time (the config shadow, a set-config job), each within one period
   * of its new value: the sampler moves to the new grid, the publisher re-judges held readings,
   * the health timer restarts. Throws when the sampler cannot change its interval live.
   */
  applyLive(changes: LiveAgentSettings): void {
    if (changes.intervalMs !== undefined) {
      if (!this.sampler.setIntervalMs)
        throw new Error('this sampler cannot change its interval while running');
      this.sampler.setIntervalMs(changes.intervalMs);
    }
    if (changes.batchSeconds !== undefined) this.publisher.setBatchMs(changes.batchSeconds * 1000);
    if (changes.healthIntervalSeconds !== undefined) {
      this.health.setPeriodMs(changes.healthIntervalSeconds * 1000);
    }
  }

  /** Orderly shutdown: stop sampling, drain in-flight PUBACKs briefly, disconnect, close the spool. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  snapshot(): AgentSnapshot {
    const spool = this.deps.spool.stats();
    const published = this.publisher.stats();
    return {
      deviceId: this.deps.settings.thingName,
      bootId: this.deps.bootId,
      agentVersion: this.deps.agentVersion,
      transport: this.deps.transport.name,
      endpoint: this.deps.settings.endpoint,
      connection: this.supervisor.state,
      startedAtMs: this.startedAtMs,
      nowMs: this.deps.clock.now(),
      spoolDepth: spool.depth,
      oldestUnsentAtMs: spool.oldestTakenAtMs,
      droppedReadings: spool.dropped + published.oversizedDropped,
      sensorErrors: this.sampler.stats().sensorErrors,
      unstoredReadings: spool.unstored,
      storageFailure: spool.failing,
      ...(this.clockGuard ? { clock: this.clockGuard.stats() } : {}),
      lastPubackAtMs: latest(published.lastPubackAtMs, this.eventPublisher?.stats().lastPubackAtMs ?? null),
      ...(this.deps.coffee
        ? { coffee: this.deps.coffee.station.snapshot(this.deps.coffee.events.stats().depth) }
        : {}),
      ...(this.deps.remoteConfigStatus ? { remoteConfig: this.deps.remoteConfigStatus() } : {}),
      ...(this.deps.jobsStatus ? { jobs: this.deps.jobsStatus() } : {}),
    };
  }

  private startServices(transport: MqttTransport): void {
    const services = this.deps.services ?? [];
    if (services.length === 0) return;
    this.connectionSignal = new AbortController();
    const signal = this.connectionSignal.signal;
    const connection: ConnectionContext = {
      signal,
      subscribe: (filter, onMessage) => transport.subscribe(filter, onMessage),
      publish: async (topic, payload) => {
        const slot = await this.rateLimiter.acquire(AbortSignal.any([signal, this.shutdownSignal.signal]));
        try {
          await transport.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload));
        } finally {
          slot.settle();
        }
      },
    };
    for (const service of services) {
      service.connected(connection).catch((error: unknown) => {
        // The service retries on the next connection; telemetry is not affected. Cut off by the
        // agent stopping or by the connection ending, it is no fault of the service's.
        const cutOff = this.shutdownSignal.signal.aborted || signal.aborted;
        this.deps.logger[cutOff ? 'debug' : 'error'](
          { err: error, service: service.name },
          `${service.name} could not start on this connection`,
        );
      });
    }
  }

  private async publishHealth(): Promise<void> {
    if (this.supervisor.state !== 'connected') return;
    let slot: PublishSlot;
    try {
      slot = await this.rateLimiter.acquire(this.shutdownSignal.signal);
    } catch {
      return; // shutting down: a health message now would describe a stopping agent anyway
    }
    const message = toHealthMessage(this.snapshot());
    try {
      await this.deps.transport.publish(this.healthTopic, JSON.stringify(message));
    } catch (error) {
      // Health is a snapshot of now, not data: it is not spooled, but a miss is still logged.
      this.deps.logger.warn({ err: error }, 'health message not delivered');
    } finally {
      slot.settle();
    }
  }

  private async shutdown(): Promise<void> {
    const { logger } = this.deps;
    logger.info('agent stopping');
    this.shutdownSignal.abort(new Error('agent stopping'));
    // Remote work first (a job in progress is recorded as interrupted), then no new presses; a
    // capture in progress is aborted and still recorded.
    await Promise.all((this.deps.services ?? []).map((service) => service.stop()));
    await this.deps.coffee?.station.stop();
    await this.sampler.stop();
    await this.clockGuard?.stop();
    await Promise.all([this.health.stop(), this.status?.stop(), this.spoolLimits.stop()]);
    await Promise.all([
      this.publisher.stop(this.deps.settings.drainMs),
      this.eventPublisher?.stop(this.deps.settings.drainMs),
    ]);
    await this.supervisor.stop();
    // The supervisor's stop is no "loss", so say it here: services' requests still waiting for an
    // answer give up now instead of holding the process open on their timers.
    this.connectionSignal.abort(new Error('agent stopped'));
    const final = this.snapshot();
    if (this.deps.writeStatus) {
      try {
        await this.deps.writeStatus({ ...final, connection: 'stopped' });
      } catch (error) {
        logger.error({ err: error }, 'could not write the final status file');
      }
    }
    this.deps.spool.close();
    logger.info({ spoolDepth: final.spoolDepth, dropped: final.droppedReadings }, 'agent stopped');
  }
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
