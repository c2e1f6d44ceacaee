import type { TelemetryReading } from '@coffee-iot/shared';
import { type MonotonicClock, systemMonotonic } from './clock/monotonic.js';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { FailureStreak } from './sampler-failures.js';
import { buildReading } from './sampler-reading.js';
import {
  type AmbientCompensationOptions,
  checkCompensationOptions,
  DEFAULT_AMBIENT_COMPENSATION,
} from './sensors/compensation.js';
import type { CpuTemperatureSource } from './sensors/cpu-temperature.js';
import type { SensorReader, SensorSample } from './sensors/sensor-port.js';
import { ReadingsNotStoredError } from './spool/spool-errors.js';
import type { ReadingSpool } from './spool/spool-port.js';

export interface SamplerOptions {
  sensors: SensorReader;
  spool: ReadingSpool;
  /** Stored with every reading; identifies this agent process. */
  bootId: string;
  logger: Logger;
  /** One reading per interval, on multiples of it since the epoch. Default 1000. */
  intervalMs?: number;
  clock?: Clock;
  /** Tells a step of the wall clock from time passing. Default: CLOCK_MONOTONIC. */
  monotonic?: MonotonicClock;
  timers?: Timers;
  /** Absent: readings carry neither temperatureCpu nor temperatureAmbient. */
  cpuTemperature?: CpuTemperatureSource;
  compensation?: AmbientCompensationOptions;
}

export interface SamplerStats {
  /** Readings committed to the spool. */
  readings: number;
  sensorErrors: number;
  /** Readings taken but not stored (disk full, spool closed…). */
  spoolErrors: number;
  /** Grid slots that passed, in real time, without a read because the previous tick overran. */
  skippedTicks: number;
  lastReadingAtMs: number | null;
}

export type ReadingListener = (reading: TelemetryReading) => void;

export class SamplerConfigError extends Error {
  override readonly name = 'SamplerConfigError';
}

/**
 * Takes one reading per `intervalMs`, aligned to the wall clock, and commits it to the spool.
 *
 * Each tick schedules the next with a fresh `setTimeout` computed from `clock.now()` to the next
 * multiple of the interval, so timer lateness never accumulates (a `setInterval` drifts by its
 * lateness every tick, minutes over a day). Ticks never overlap and never catch up in a burst:
 * slots that pass while a read overruns are skipped and counted.
 *
 * A step of the wall clock (NTP, `date -s`) is told from time passing by the monotonic clock:
 * sampling follows the new time at once (a step back of hours must not stall it, a step forward
 * must not burst), a step back of less than an interval waits for its slot, and seq, assigned by
 * the spool, keeps rising whatever the clock does. Whether a reading's ts can be trusted is the
 * clock guard's business (device/src/clock/clock-guard.ts): the sampler never waits for it, so a
 * Pi keeps the readings of its first minutes before NTP syncs.
 */
export class Sampler {
  /** Changed at run time by setIntervalMs (the config shadow). */
  private intervalMs: number;
  private readonly clock: Clock;
  private readonly monotonic: MonotonicClock;
  private readonly timers: Timers;
  private readonly compensation: AmbientCompensationOptions;
  private readonly listeners = new Set<ReadingListener>();
  private readonly sensorFailures: FailureStreak;
  private readonly cpuFailures: FailureStreak;
  private readonly spoolFailures: FailureStreak;
  private readonly counters: SamplerStats = {
    readings: 0,
    sensorErrors: 0,
    spoolErrors: 0,
    skippedTicks: 0,
    lastReadingAtMs: null,
  };
  private timer: TimerHandle | undefined;
  /** Wall and monotonic time when the pending tick was scheduled: their drift apart is a clock step. */
  private scheduledAt = { wall: 0, mono: 0 };
  private inFlight: Promise<void> | null = null;
  /** Bumped by start() and stop() so a tick finishing after a restart does not schedule twice. */
  private generation = 0;
  private running = false;

  constructor(private readonly options: SamplerOptions) {
    this.intervalMs = checkedInterval(options.intervalMs ?? 1000);
    this.compensation = options.compensation ?? DEFAULT_AMBIENT_COMPENSATION;
    checkCompensationOptions(this.compensation);
    this.clock = options.clock ?? systemClock;
    this.monotonic = options.monotonic ?? systemMonotonic;
    this.timers = options.timers ?? systemTimers;
    this.sensorFailures = new FailureStreak(options.logger, 'sensor read', 'warn');
    this.cpuFailures = new FailureStreak(options.logger, 'CPU temperature read', 'warn');
    this.spoolFailures = new FailureStreak(options.logger, 'spool append', 'error');
  }

  /** Called with every reading once it is on disk (the publisher wakes up on it). */
  onReading(listener: ReadingListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation += 1;
    this.schedule(nextSlot(this.clock.now(), this.intervalMs), this.generation);
  }

  /** Stops the timer and waits for a tick in progress to finish storing its reading. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.inFlight;
  }

  stats(): SamplerStats {
    return { ...this.counters };
  }

  /**
   * Changes the interval at run time. The pending tick is moved to the next slot of the new grid
   * at once, so the change shows within one tick of the new interval (a 1 h interval cut to 1 s
   * does not wait out the hour); a tick in progress finishes and schedules on the new grid.
   */
  setIntervalMs(intervalMs: number): void {
    this.intervalMs = checkedInterval(intervalMs);
    if (!this.running || this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(nextSlot(this.clock.now(), this.intervalMs), this.generation);
  }

  private schedule(due: number, generation: number): void {
    const now = this.clock.now();
    this.scheduledAt = { wall: now, mono: this.monotonic.now() };
    this.timer = this.timers.setTimeout(() => this.fire(due, generation), Math.max(0, due - now));
  }

  private fire(due: number, generation: number): void {
    this.timer = undefined;
    const early = due - this.clock.now();
    if (early > 1 && early < this.intervalMs) {
      // The clock stepped back less than an interval while the timer ran (NTP stepping a few
      // hundred ms): reading now would put two readings in one slot; the slot is less than an
      // interval away, so wait for it. A larger step back is followed at once (scheduleAfter):
      // waiting for the old time to come round again would stall sampling for as long as the step.
      this.schedule(due, generation);
      return;
    }
    const run = this.tick()
      .catch((error: unknown) => {
        // tick() handles its own failures; reaching here is a bug, but sampling must go on.
        this.options.logger.error({ err: error }, 'sampler tick failed unexpectedly');
      })
      .then(() => {
        if (this.inFlight === run) this.inFlight = null;
        if (this.running && generation === this.generation) this.scheduleAfter(due, generation);
      });
    this.inFlight = run;
  }

  private scheduleAfter(due: number, generation: number): void {
    const now = this.clock.now();
    // How far the wall clock moved beyond the real time that passed since the tick was scheduled.
    const stepMs = now - this.scheduledAt.wall - (this.monotonic.now() - this.scheduledAt.mono);
    if (Math.abs(stepMs) >= this.intervalMs) {
      // Follow the stepped clock at once, and count as skipped only the slots a slow read cost in
      // real time: an NTP step of an hour forward loses no reading, it renames the time.
      const next = nextSlot(now, this.intervalMs);
      const skipped = Math.max(
        0,
        Math.round((nextSlot(now - stepMs, this.intervalMs) - due) / this.intervalMs) - 1,
      );
      this.counters.skippedTicks += skipped;
      this.options.logger.warn(
        { stepMs, fromSlot: new Date(due).toISOString(), to: new Date(now).toISOString(), skipped },
        'wall clock stepped; sampling follows it',
      );
      this.schedule(next, generation);
      return;
    }
    let next = nextSlot(now, this.intervalMs);
    // The timer fired a hair early (Node allows ~1 ms): never two ticks in one slot.
    if (next <= due) next = due + this.intervalMs;
    const skipped = Math.max(0, Math.round((next - due) / this.intervalMs) - 1);
    if (skipped > 0) {
      this.counters.skippedTicks += skipped;
      this.options.logger.warn(
        { skipped, afterSlot: new Date(due).toISOString() },
        'sampling fell behind (slow read); skipped ticks instead of bursting',
      );
    }
    this.schedule(next, generation);
  }

  private async tick(): Promise<void> {
    const { sensors, spool, bootId, logger } = this.options;
    const takenAtMs = this.clock.now();
    let sample: SensorSample;
    try {
      sample = await sensors.read();
      this.sensorFailures.succeeded();
    } catch (error) {
      this.counters.sensorErrors += 1;
      this.sensorFailures.failed(error, { sensor: sensors.name, errors: this.counters.sensorErrors });
      return;
    }
    const cpuC = await this.readCpuTemperature();
    const reading = buildReading(sample, takenAtMs, cpuC, this.compensation);
    let stored: TelemetryReading;
    try {
      stored = spool.append(reading, bootId);
      this.spoolFailures.succeeded();
    } catch (error) {
      this.counters.spoolErrors += 1;
      // The spool counts and logs storage refusals itself, once per episode.
      if (!(error instanceof ReadingsNotStoredError)) {
        this.spoolFailures.failed(error, { ts: reading.ts, errors: this.counters.spoolErrors });
      }
      return;
    }
    this.counters.readings += 1;
    this.counters.lastReadingAtMs = takenAtMs;
    logger.debug({ seq: stored.seq }, 'reading spooled');
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch (error) {
        logger.error({ err: error, seq: stored.seq }, 'reading listener failed');
      }
    }
  }

  private async readCpuTemperature(): Promise<number | null> {
    const source = this.options.cpuTemperature;
    if (!source) return null;
    try {
      const celsius = await source.read();
      this.cpuFailures.succeeded();
      return celsius;
    } catch (error) {
      // The reading still goes out, just without the CPU and ambient fields.
      this.cpuFailures.failed(error);
      return null;
    }
  }
}

function checkedInterval(intervalMs: number): number {
  if (!(Number.isInteger(intervalMs) && intervalMs > 0)) {
    throw new SamplerConfigError(`intervalMs must be a positive integer (got ${intervalMs})`);
  }
  return intervalMs;
}

/** The first multiple of `intervalMs` strictly after `now`. */
export function nextSlot(now: number, intervalMs: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs;
}
