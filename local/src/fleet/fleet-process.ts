import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import {
  type Clock,
  type Logger,
  systemClock,
  systemTimers,
  type TimerHandle,
  type Timers,
} from '@coffee-iot/device';
import { UnknownDeviceError } from '../dashboard/dashboard-source.js';
import { type FleetChild, forkFleetChild } from './fleet-child.js';
import { FleetUnavailableError, PressNotRecordedError } from './fleet-errors.js';
import type { FleetSpec, FromFleet, ToFleet } from './fleet-messages.js';
import { DEFAULT_RESTART, type RestartOptions, RestartPolicy } from './restart-policy.js';

export interface FleetProcessOptions {
  specPath: string;
  spec: FleetSpec;
  thingNames: readonly string[];
  logger: Logger;
  /** Agents stop within 5 s; past this the process is killed. */
  stopTimeoutMs?: number;
  /** Restarts after a crash (backoff, and when to give up); defaults to DEFAULT_RESTART. */
  restart?: Partial<RestartOptions>;
  /** Starts the process (tests pass a fake). */
  spawn?: (specPath: string) => FleetChild;
  clock?: Clock;
  timers?: Timers;
}

export type FleetState = 'starting' | 'running' | 'restarting' | 'gave-up' | 'stopped';

/** The fleet's health, in the stack's counters. */
export interface FleetCounters {
  state: FleetState;
  /** Unexpected exits of the process, including restarts that failed to start. */
  crashes: number;
  restarts: number;
  /** Presses answered "unavailable" because the process was down. */
  pressesRefused: number;
  /** Presses sent to a process that died before answering them. */
  pressesLost: number;
  lastCrashAt: string | null;
}

type Pending = { deviceId: string; resolve: () => void; reject: (error: Error) => void };

/**
 * The simulated devices' process, driven over IPC: presses in, lifecycle out. A process that
 * dies (a crash, an OOM kill, a stray kill -9) is restarted after a backoff; meanwhile presses
 * fail with FleetUnavailableError (the dashboard's 503) instead of vanishing. After too many
 * crashes in a row it is given up on, loudly: restarting a fleet that dies at every start
 * would only burn CPU and bury the cause in the log.
 */
export class FleetProcess {
  private child: FleetChild | undefined;
  private state: FleetState = 'starting';
  private nextPressId = 1;
  private readonly pendingPresses = new Map<number, Pending>();
  private readonly things: Set<string>;
  private readonly policy: RestartPolicy;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private restartTimer: TimerHandle | undefined;
  private restartAtMs = 0;
  private restarting: Promise<void> | undefined;
  /** How long the last start took: part of the wait announced while restarting. */
  private lastStartMs = 0;
  private readonly stats = {
    crashes: 0,
    restarts: 0,
    pressesRefused: 0,
    pressesLost: 0,
    lastCrashAtMs: null as number | null,
  };

  constructor(private readonly options: FleetProcessOptions) {
    this.things = new Set(options.thingNames);
    this.policy = new RestartPolicy({ ...DEFAULT_RESTART, ...options.restart });
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
  }

  async start(): Promise<void> {
    await writeFile(this.options.specPath, `${JSON.stringify(this.options.spec, null, 2)}\n`);
    try {
      await this.launch();
    } catch (error) {
      this.state = 'stopped';
      throw error;
    }
    this.state = 'running';
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  counters(): FleetCounters {
    const { lastCrashAtMs, ...counts } = this.stats;
    return {
      state: this.state,
      ...counts,
      lastCrashAt: lastCrashAtMs === null ? null : new Date(lastCrashAtMs).toISOString(),
    };
  }

  press(deviceId: string): Promise<void> {
    if (!this.things.has(deviceId)) return Promise.reject(new UnknownDeviceError(deviceId));
    const child = this.child;
    if (child === undefined || this.state !== 'running') {
      const error = this.unavailable();
      this.stats.pressesRefused += 1;
      this.options.logger.warn(
        { deviceId, state: this.state, retryAfterSeconds: error.retryAfterSeconds },
        'press refused: the simulated devices are down',
      );
      return Promise.reject(error);
    }
    const id = this.nextPressId++;
    return new Promise<void>((resolve, reject) => {
      this.pendingPresses.set(id, { deviceId, resolve, reject });
      child.send({ type: 'press', id, deviceId } satisfies ToFleet);
    });
  }

  /** Asks every agent to stop (they flush and close within 5 s); kills the process past the timeout. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.restartTimer !== undefined) {
      this.timers.clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    // A restart in progress finishes starting; its process is stopped below.
    await this.restarting;
    const child = this.child;
    this.child = undefined;
    if (child) await this.stopChild(child);
    // Answers that came before the process exited have settled their presses already.
    this.failPending(
      () =>
        new FleetUnavailableError(
          'stopped',
          null,
          'the simulated devices stopped before answering this press',
        ),
    );
  }

  /** Forks the process and waits for its agents to start; it becomes the current one only then. */
  private async launch(): Promise<void> {
    const startedAtMs = this.clock.now();
    const child = (this.options.spawn ?? forkFleetChild)(this.options.specPath);
    child.on('message', (message: FromFleet) => this.onMessage(message));
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) =>
      this.onExit(child, code, signal),
    );
    const [first] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code, signal]) => [
        { type: 'failed', error: `exited with ${code ?? signal}` },
      ]),
    ])) as [FromFleet];
    if (first.type !== 'started') {
      await this.stopChild(child);
      throw new Error(
        `the simulated fleet did not start: ${first.type === 'failed' ? first.error : first.type}`,
      );
    }
    this.lastStartMs = this.clock.now() - startedAtMs;
    this.child = child;
  }

  private onExit(child: FleetChild, code: number | null, signal: NodeJS.Signals | null): void {
    // Not the current process: a stop asked for, or a start that failed (its caller reports it).
    if (this.child !== child) return;
    this.child = undefined;
    const pressesLost = this.pendingPresses.size;
    this.stats.pressesLost += pressesLost;
    this.crashed({ code, signal, pid: child.pid, pressesLost });
    this.failPending(
      (retryAfterSeconds) =>
        new FleetUnavailableError(
          'lost',
          retryAfterSeconds,
          "the simulated devices' process died while handling this press, which may not have been recorded" +
            (retryAfterSeconds === null ? '' : `; try again in ${retryAfterSeconds} s`),
        ),
    );
  }

  private crashed(details: Record<string, unknown>): void {
    const now = this.clock.now();
    this.stats.crashes += 1;
    this.stats.lastCrashAtMs = now;
    const decision = this.policy.crashed(now);
    if (decision.action === 'give-up') {
      this.state = 'gave-up';
      this.options.logger.fatal(
        { ...details, crashes: this.stats.crashes, recentCrashes: decision.recentCrashes },
        `the simulated fleet crashed ${decision.recentCrashes} times within ${this.policy.windowMs / 1000} s ` +
          'and is NOT restarted again: presses answer 503 until the stack is restarted (see the errors above)',
      );
      return;
    }
    this.state = 'restarting';
    this.restartAtMs = now + decision.delayMs;
    this.options.logger.error(
      { ...details, crashes: this.stats.crashes, restartInMs: decision.delayMs },
      'the simulated fleet exited unexpectedly; restarting it',
    );
    this.restartTimer = this.timers.setTimeout(() => {
      this.restartTimer = undefined;
      this.restarting = this.restart().finally(() => {
        this.restarting = undefined;
      });
    }, decision.delayMs);
  }

  private async restart(): Promise<void> {
    if (this.state !== 'restarting') return;
    try {
      await this.launch();
    } catch (error) {
      if (this.state !== 'restarting') return;
      this.options.logger.error({ err: error }, 'the simulated fleet did not restart');
      this.crashed({ startFailed: true });
      return;
    }
    // stop() came while it was starting: stop() stops it.
    if (this.state !== 'restarting') return;
    this.stats.restarts += 1;
    this.state = 'running';
    this.options.logger.warn(
      { pid: this.child?.pid, restarts: this.stats.restarts, crashes: this.stats.crashes },
      'the simulated fleet was restarted',
    );
  }

  private unavailable(): FleetUnavailableError {
    const retryAfterSeconds = this.retryAfterSeconds();
    switch (this.state) {
      case 'gave-up':
        return new FleetUnavailableError(
          'gave-up',
          null,
          `the simulated devices crashed ${this.stats.crashes} times and are not restarted again: ` +
            'restart the stack (Ctrl-C, then npm start) and see its log for the cause',
        );
      case 'stopped':
        return new FleetUnavailableError(
          'stopped',
          null,
          'the simulated devices are stopped (the stack is stopping)',
        );
      default:
        return new FleetUnavailableError(
          'restarting',
          retryAfterSeconds,
          `the simulated devices are ${this.state === 'starting' ? 'starting' : 'restarting after a crash'}; ` +
            `try again in ${retryAfterSeconds} s`,
        );
    }
  }

  /** Whole seconds until a restart should be done, or null when none is coming. */
  private retryAfterSeconds(): number | null {
    if (this.state !== 'restarting' && this.state !== 'starting') return null;
    const waitMs = Math.max(0, this.restartAtMs - this.clock.now()) + this.lastStartMs;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  private failPending(error: (retryAfterSeconds: number | null) => FleetUnavailableError): void {
    const retryAfterSeconds = this.retryAfterSeconds();
    for (const pending of this.pendingPresses.values()) pending.reject(error(retryAfterSeconds));
    this.pendingPresses.clear();
  }

  private async stopChild(child: FleetChild): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (child.connected) child.send({ type: 'stop' } satisfies ToFleet);
    else child.kill('SIGTERM');
    const timeout = this.timers.setTimeout(() => {
      this.options.logger.error('the simulated fleet did not stop in time; killing it');
      child.kill('SIGKILL');
    }, this.options.stopTimeoutMs ?? 8000);
    await exited;
    this.timers.clearTimeout(timeout);
  }

  private onMessage(message: FromFleet): void {
    if (message.type === 'press-result') {
      const pending = this.pendingPresses.get(message.id);
      this.pendingPresses.delete(message.id);
      if (pending === undefined) return;
      if (message.error === null) pending.resolve();
      else pending.reject(new PressNotRecordedError(pending.deviceId, message.status, message.error));
    } else if (message.type === 'stopped' && message.exitCodes.some((code) => code !== 0)) {
      this.options.logger.warn({ exitCodes: message.exitCodes }, 'some agents did not stop cleanly');
    }
  }
}
