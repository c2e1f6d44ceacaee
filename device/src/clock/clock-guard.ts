import type { Clock, TimerHandle, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { PublishQueue } from '../publisher/spool-publisher.js';
import type { ClockSyncPort, ClockSyncState } from './clock-sync-port.js';
import type { ClockHoldRecord, ClockHoldStore, ClockSegment } from './hold-store.js';
import type { MonotonicClock } from './monotonic.js';
import { type RestampRange, rangeFor, restampRow } from './restamp.js';

/**
 * No reading of this agent was taken before this moment: a wall clock earlier than it is a Pi that
 * booted at 1970 (or a dead RTC battery), never a real time. Readings stamped by such a clock are
 * held until the clock is set, however long that takes: publishing them would write 1970 into
 * history.
 */
export const PLAUSIBLE_FLOOR_MS = Date.parse('2026-01-01T00:00:00.000Z');

export interface ClockGuardOptions {
  sync: ClockSyncPort;
  clock: Clock;
  monotonic: MonotonicClock;
  timers: Timers;
  logger: Logger;
  /** Highest seq the spool has assigned. */
  lastSeq: () => number;
  /**
   * How long to hold readings for a sync that does not come (NTP blocked by a firewall) before
   * publishing them as stamped, in seconds. Readings stamped before PLAUSIBLE_FLOOR_MS are never
   * published unsynchronised.
   */
  waitSeconds: number;
  /** Called when held readings may be published: the publisher should look again. */
  onRelease?: () => void;
  /** Remembers held readings across a restart of the agent; absent: memory only. */
  store?: ClockHoldStore;
  /** /proc/sys/kernel/random/boot_id: monotonic time is comparable only within one boot. */
  kernelBootId?: string | null;
  /** How often to ask while unsynchronised. Default 5000. */
  pollMs?: number;
  /** How often to ask while synchronised (a step is noticed at once anyway). Default 60000. */
  syncedPollMs?: number;
  floorMs?: number;
  /** Held readings off by less than this keep their ts. Default 100. */
  restampMinMs?: number;
  /** A change of wall − monotonic larger than this is a step of the clock. Default 1000. */
  stepToleranceMs?: number;
}

export interface ClockStats {
  /** The last answer: true, false, or null when this system cannot tell (then the clock is trusted). */
  clockSynchronized: boolean | null;
  /** Readings in the spool held back from publishing until the clock is synchronised. */
  heldReadings: number;
  /** Readings published with their timestamp corrected after the clock synchronised. */
  restampedReadings: number;
  /**
   * Readings released with a timestamp from an unsynchronised clock: the wait ran out, or they
   * were held across a reboot, after which monotonic time no longer says when they were taken.
   */
  unsynchronizedReadings: number;
  /** Steps of the wall clock seen while running (NTP step, manual date). */
  clockSteps: number;
}

type Mode = 'trusted' | 'holding' | 'released';

/**
 * Keeps readings stamped by an untrusted wall clock from being published as if they were right.
 *
 * Sampling never waits for the clock: a Pi must not lose its first minutes of data. Every reading
 * goes to the spool at once (durable, seq assigned) with the wall clock's time; the guard records
 * wall − monotonic at that time. While the clock is unsynchronised the publisher's view of the
 * spool stops before the first held seq. When the clock synchronises the guard measures
 * wall − monotonic again; the difference is exactly how far every held reading's ts was off
 * (an unsynchronised clock runs at the monotonic clock's rate), and the publisher's view adds it
 * to their ts. So ts = syncedNow − (monoNow − monoAtReading), computed without storing a monotonic
 * stamp per reading, and the spool's rows and seqs are never rewritten: seq order is untouched.
 *
 * Why hold in the spool instead of memory: a Pi offline and unsynchronised for days keeps every
 * reading (the spool's caps apply and are counted), and a restart before sync loses nothing.
 */
export class ClockGuard {
  private readonly floorMs: number;
  private readonly stepToleranceMs: number;
  private readonly pollMs: number;
  private readonly restampMinMs: number;
  private readonly syncedPollMs: number;
  private mode: Mode = 'trusted';
  private lastState: ClockSyncState = 'unknown';
  private holdFrom: number | null = null;
  private heldSinceMono: number | null = null;
  private segments: ClockSegment[] = [];
  private restamps: RestampRange[] = [];
  private lastOffsetMs: number;
  private restampedThrough = 0;
  private readonly counts = { restampedReadings: 0, unsynchronizedReadings: 0, clockSteps: 0 };
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private active = false;
  private warnedImplausible = false;

  constructor(private readonly options: ClockGuardOptions) {
    this.floorMs = options.floorMs ?? PLAUSIBLE_FLOOR_MS;
    this.stepToleranceMs = options.stepToleranceMs ?? 1000;
    this.pollMs = options.pollMs ?? 5000;
    this.restampMinMs = options.restampMinMs ?? 100;
    this.syncedPollMs = options.syncedPollMs ?? 60_000;
    if (!(options.waitSeconds >= 0))
      throw new RangeError(`waitSeconds must be >= 0 (got ${options.waitSeconds})`);
    this.lastOffsetMs = this.offsetNow();
  }

  /**
   * Holds from the next seq until the first answer says the clock can be trusted: the sampler
   * starts at once and must not get a reading out before the question is answered.
   */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.lastOffsetMs = this.offsetNow();
    this.resume();
    if (this.mode === 'trusted') this.hold(this.options.lastSeq() + 1, 'waiting for the first clock check');
    this.poll();
  }

  /** A check in progress is not awaited (a wedged D-Bus must not hold up shutdown); its answer is ignored. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): ClockStats {
    const held =
      this.mode === 'holding' && this.holdFrom !== null
        ? Math.max(0, this.options.lastSeq() - this.holdFrom + 1)
        : 0;
    return {
      clockSynchronized: this.lastState === 'unknown' ? null : this.lastState === 'synchronized',
      heldReadings: held,
      ...this.counts,
    };
  }

  /**
   * Called after every reading is spooled, before the publisher hears of it. A step of the clock
   * is seen here at once (wall − monotonic moved), so a reading stamped by a clock that just
   * jumped to 1970 or by hand is held before the publisher can send it, and the port is asked
   * again.
   */
  readingSpooled(): void {
    const offset = this.offsetNow();
    const stepMs = offset - this.lastOffsetMs;
    this.lastOffsetMs = offset;
    if (this.mode === 'released') this.counts.unsynchronizedReadings += 1;
    const stepped = Math.abs(stepMs) > this.stepToleranceMs;
    const implausible = this.options.clock.now() < this.floorMs;
    if (!stepped && !(implausible && this.mode !== 'holding')) return;
    // The reading just spooled was stamped after the step (its read takes milliseconds, the step
    // could have come any time in the second before): it starts the new segment.
    const seq = this.options.lastSeq();
    if (stepped) {
      this.counts.clockSteps += 1;
      this.options.logger.warn(
        { stepMs, seq, to: new Date(this.options.clock.now()).toISOString() },
        'wall clock stepped; holding new readings until the clock is checked',
      );
    }
    if (this.mode === 'trusted') {
      this.hold(seq, stepped ? 'the wall clock stepped' : 'the wall clock is implausible');
    } else {
      if (this.mode === 'released' && implausible) {
        this.mode = 'holding';
        this.holdFrom = seq;
      }
      this.segment(seq, offset);
    }
    this.poll();
  }

  /**
   * The first seq whose stored time the clock cannot vouch for yet: held, or waiting to be
   * published with its correction. The spool's age cap must not judge these by their stored
   * time (SqliteSpool.exemptFromAgeExpiry): after NTP steps a stale clock forward they would
   * all look older than the cap and be dropped before the correction is applied. null: none.
   */
  oldestUntrustedSeq(): number | null {
    const seqs = [
      ...(this.mode === 'holding' && this.holdFrom !== null ? [this.holdFrom] : []),
      ...this.restamps.map((range) => range.fromSeq),
    ];
    return seqs.length === 0 ? null : Math.min(...seqs);
  }

  /** The publisher's view of `queue`: held readings are not there yet, restamped ones carry the right ts. */
  gate(queue: PublishQueue): PublishQueue {
    return {
      readAfter: (afterSeq, limit) => {
        let rows = queue.readAfter(afterSeq, limit);
        if (this.mode === 'holding' && this.holdFrom !== null) {
          const holdFrom = this.holdFrom;
          const cut = rows.findIndex((row) => row.seq >= holdFrom);
          if (cut >= 0) rows = rows.slice(0, cut);
        }
        if (this.restamps.length === 0) return rows;
        return rows.map((row) => {
          const range = rangeFor(this.restamps, row.seq);
          if (!range) return row;
          if (row.seq > this.restampedThrough) {
            this.restampedThrough = row.seq;
            this.counts.restampedReadings += 1;
          }
          return restampRow(row, range.deltaMs);
        });
      },
      acknowledge: (seqs) => {
        queue.acknowledge(seqs);
        this.forgetPublishedRanges(queue);
      },
    };
  }

  private offsetNow(): number {
    return this.options.clock.now() - this.options.monotonic.now();
  }

  private poll(): void {
    if (!this.active) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const run = this.options.sync
      .check()
      .catch((): ClockSyncState => 'unknown')
      .then((state) => {
        if (this.active) this.evaluate(state);
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'clock check failed unexpectedly'))
      .finally(() => {
        this.polling = null;
        if (!this.active) return;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
          return;
        }
        const every = this.mode === 'trusted' ? this.syncedPollMs : this.pollMs;
        this.timer = this.options.timers.setTimeout(() => {
          this.timer = undefined;
          this.poll();
        }, every);
      });
    this.polling = run;
  }

  private evaluate(state: ClockSyncState): void {
    if (state !== this.lastState) {
      this.options.logger.info(
        { clockSync: state, port: this.options.sync.name },
        'clock synchronisation state',
      );
    }
    this.lastState = state;
    const wall = this.options.clock.now();
    const plausible = wall >= this.floorMs;
    if (!plausible && !this.warnedImplausible) {
      this.warnedImplausible = true;
      this.options.logger.error(
        { now: new Date(wall).toISOString(), floor: new Date(this.floorMs).toISOString() },
        'wall clock is before this agent was built: holding readings until the clock is set (check NTP)',
      );
    }
    const trusted = plausible && state !== 'unsynchronized';
    if (trusted) {
      if (this.mode !== 'trusted') this.synchronised(state);
      return;
    }
    if (this.mode === 'trusted') {
      this.hold(this.options.lastSeq() + 1, 'the clock is not synchronised');
      return;
    }
    const waitedMs = this.options.monotonic.now() - (this.heldSinceMono ?? this.options.monotonic.now());
    if (this.mode === 'holding' && plausible && waitedMs >= this.options.waitSeconds * 1000)
      this.giveUp(waitedMs);
  }

  private hold(fromSeq: number, why: string): void {
    this.mode = 'holding';
    this.holdFrom = fromSeq;
    this.heldSinceMono ??= this.options.monotonic.now();
    this.segments = [{ fromSeq, offsetMs: this.offsetNow() }];
    this.options.logger.info({ fromSeq, why }, 'holding readings until the clock can be trusted');
    this.persist();
  }

  private segment(fromSeq: number, offsetMs: number): void {
    const last = this.segments.at(-1);
    if (last && last.fromSeq >= fromSeq) last.offsetMs = offsetMs;
    else this.segments.push({ fromSeq, offsetMs });
    this.persist();
  }

  /** The clock can be trusted: every segment's readings move by how far that segment's clock was off. */
  private synchronised(state: ClockSyncState): void {
    const syncedOffset = this.offsetNow();
    const lastSeq = this.options.lastSeq();
    let moved = 0;
    this.segments.forEach((segment, index) => {
      const toSeq = (this.segments[index + 1]?.fromSeq ?? lastSeq + 1) - 1;
      const deltaMs = syncedOffset - segment.offsetMs;
      // Two clock reads and NTP slewing move the offset by milliseconds: not worth a rewrite.
      if (toSeq < segment.fromSeq || Math.abs(deltaMs) < this.restampMinMs) return;
      this.restamps.push({ fromSeq: segment.fromSeq, toSeq, deltaMs });
      moved += toSeq - segment.fromSeq + 1;
    });
    const released = this.holdFrom === null ? 0 : Math.max(0, lastSeq - this.holdFrom + 1);
    this.options.logger.info(
      { clockSync: state, released, restamped: moved, deltasMs: this.restamps.map((range) => range.deltaMs) },
      'clock trusted: held readings released, timestamps corrected by the clock step',
    );
    this.mode = 'trusted';
    this.holdFrom = null;
    this.heldSinceMono = null;
    this.segments = [];
    this.lastOffsetMs = syncedOffset;
    this.persist();
    this.options.onRelease?.();
  }

  /**
   * NTP did not answer in time (UDP 123 blocked, no network). Holding longer would keep a
   * connected Pi silent; the readings go out as stamped, counted and logged, and the segments are
   * kept so readings still in the spool are corrected if the clock syncs later.
   */
  private giveUp(waitedMs: number): void {
    const released = this.holdFrom === null ? 0 : Math.max(0, this.options.lastSeq() - this.holdFrom + 1);
    this.counts.unsynchronizedReadings += released;
    this.options.logger.warn(
      { waitedSeconds: Math.round(waitedMs / 1000), released },
      'clock still not synchronised: publishing readings with the unsynchronised clock (check NTP: timedatectl timesync-status)',
    );
    this.mode = 'released';
    this.holdFrom = null;
    this.persist();
    this.options.onRelease?.();
  }

  /** Picks up what an earlier run of the agent held or had still to restamp. */
  private resume(): void {
    const { store } = this.options;
    if (!store) return;
    let record: ClockHoldRecord | null;
    try {
      record = store.load();
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'could not read the clock hold record; held readings go out as stamped',
      );
      return;
    }
    if (!record) return;
    this.restamps = record.restamps;
    // Nothing held nor released unsynchronised: only restamps were left to publish.
    if (record.heldSinceMono === null) return;
    const kernelBootId = this.options.kernelBootId ?? null;
    if (kernelBootId !== null && record.kernelBootId === kernelBootId) {
      // Still waiting, or already gave up waiting: a restart (or a crash loop) must not restart
      // the wait, nor forget how far the readings it released are off.
      this.mode = record.holdFrom === null ? 'released' : 'holding';
      this.holdFrom = record.holdFrom;
      this.heldSinceMono = record.heldSinceMono;
      this.segments = record.segments;
      const last = this.segments.at(-1);
      const offset = this.offsetNow();
      if (!last || Math.abs(offset - last.offsetMs) > this.stepToleranceMs) {
        this.segments.push({ fromSeq: this.options.lastSeq() + 1, offsetMs: offset });
      }
      this.options.logger.info(
        { holdFrom: this.holdFrom, mode: this.mode },
        'resuming the clock state an earlier run of this boot left',
      );
      return;
    }
    if (record.holdFrom === null) return;
    // Another boot: monotonic time restarted, so nothing says when those readings were taken.
    const released = Math.max(0, this.options.lastSeq() - record.holdFrom + 1);
    this.counts.unsynchronizedReadings += released;
    this.options.logger.warn(
      { released, fromSeq: record.holdFrom },
      'readings held before a reboot cannot be restamped; publishing them with the unsynchronised clock',
    );
  }

  /** Forgets a range once none of its readings is left in the spool. */
  private forgetPublishedRanges(queue: PublishQueue): void {
    if (this.restamps.length === 0) return;
    const remaining = this.restamps.filter((range) => {
      const next = queue.readAfter(range.fromSeq - 1, 1)[0];
      return next !== undefined && next.seq <= range.toSeq;
    });
    if (remaining.length === this.restamps.length) return;
    this.restamps = remaining;
    this.persist();
  }

  private persist(): void {
    const { store } = this.options;
    if (!store) return;
    const idle = this.holdFrom === null && this.restamps.length === 0 && this.mode === 'trusted';
    const record: ClockHoldRecord | null = idle
      ? null
      : {
          v: 1,
          kernelBootId: this.options.kernelBootId ?? null,
          holdFrom: this.holdFrom,
          heldSinceMono: this.heldSinceMono,
          segments: this.segments,
          restamps: this.restamps,
        };
    try {
      store.save(record);
    } catch (error) {
      // Holding still works in memory; only a restart before sync would publish them as stamped.
      this.options.logger.error({ err: error }, 'could not save the clock hold record');
    }
  }
}
