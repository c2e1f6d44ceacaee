import type { Clock, TimerHandle, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { FailureStreak } from '../sampler-failures.js';
import type { SpooledReading } from '../spool/spool-port.js';
import type { MqttTransport } from '../transport/transport-port.js';
import { type PackResult, packNextEnvelope } from './envelope.js';
import type { PublishRateLimiter, PublishSlot } from './rate-limiter.js';
import { Wakeup } from './wakeup.js';

export interface PublishLimits {
  /** Publishes the broker may receive in any one-second window (IoT Core: 100 per connection). */
  maxPublishesPerSecond: number;
  /** Largest payload in bytes (IoT Core: 128 KB). */
  maxPayloadBytes: number;
  /** Unacknowledged QoS 1 publishes at once (IoT Core: ≤ 100). */
  maxInFlight: number;
}

/** What the publisher drains: the readings spool or an event queue. */
export interface PublishQueue {
  /** Oldest entries with seq > afterSeq, ascending. */
  readAfter(afterSeq: number, limit: number): SpooledReading[];
  /** Deletes entries the broker acknowledged. */
  acknowledge(seqs: readonly number[]): void;
}

/** Turns the waiting entries into the next message; telemetry packs many readings per envelope. */
export type MessagePacker = (
  deviceId: string,
  rows: readonly SpooledReading[],
  maxPayloadBytes: number,
) => PackResult;

export interface SpoolPublisherOptions {
  queue: PublishQueue;
  /** Default: telemetry envelopes (packNextEnvelope). */
  pack?: MessagePacker;
  deviceId: string;
  topic: string;
  limits: PublishLimits;
  /** Shared by everything that publishes on the connection: IoT Core counts them all. */
  rateLimiter: PublishRateLimiter;
  /** 0 = publish each reading as soon as it is spooled; > 0 = hold live readings this long to batch them. */
  batchMs: number;
  clock: Clock;
  timers: Timers;
  logger: Logger;
}

export interface PublisherStats {
  publishedMessages: number;
  acknowledgedReadings: number;
  /** Readings dropped because even alone they exceed maxPayloadBytes. */
  oversizedDropped: number;
  publishFailures: number;
  inFlight: number;
  lastPubackAtMs: number | null;
}

/** Spool rows fetched per envelope: enough to fill 128 KB with ~200-byte readings. */
const ROWS_PER_FETCH = 1000;

/**
 * Moves queued messages from the durable spool to the broker, oldest first, in order:
 * telemetry readings packed into envelopes, or coffee events one per message.
 * A reading leaves the spool only when the broker has acknowledged the envelope holding it;
 * when a connection drops, everything unacknowledged is sent again from the spool on the
 * next connection (at-least-once: consumers dedupe on (deviceId, seq)).
 */
export class SpoolPublisher {
  private transport: MqttTransport | null = null;
  /** Bumped on every connection change so stale publish results do not move the cursor. */
  private generation = 0;
  /** Highest seq handed to the transport in this generation; later envelopes start after it. */
  private cursor = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly wakeup = new Wakeup();
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private batchTimer: TimerHandle | undefined;
  /** Aborted by stop() so a wait for a rate-limit slot cannot hold shutdown up. */
  private stopSignal = new AbortController();
  private readonly counters: Omit<PublisherStats, 'inFlight'> = {
    publishedMessages: 0,
    acknowledgedReadings: 0,
    oversizedDropped: 0,
    publishFailures: 0,
    lastPubackAtMs: null,
  };

  private readonly pack: MessagePacker;
  /** options.batchMs, changed at run time by setBatchMs (the config shadow). */
  private batchMs: number;
  /** Deletes after a PUBACK that the storage refused: logged per streak, not per PUBACK. */
  private readonly ackFailures: FailureStreak;

  constructor(private readonly options: SpoolPublisherOptions) {
    this.pack = options.pack ?? packNextEnvelope;
    this.batchMs = options.batchMs;
    this.ackFailures = new FailureStreak(
      options.logger,
      'deleting acknowledged messages from the spool (they will be sent again)',
      'warn',
    );
  }

  stats(): PublisherStats {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.stopSignal = new AbortController();
    this.loopDone = this.loop().catch((error: unknown) => {
      // The loop only throws on a programming or spool error; make it loud, not silent.
      this.options.logger.fatal({ err: error }, 'telemetry publisher stopped on an unexpected error');
      throw error;
    });
  }

  /** A connection is up: start sending from the oldest unacknowledged reading. */
  attach(transport: MqttTransport): void {
    this.transport = transport;
    this.generation += 1;
    this.cursor = 0;
    this.wakeup.wake();
  }

  /** The connection is gone: anything in flight will be resent from the spool next time. */
  detach(): void {
    this.transport = null;
    this.generation += 1;
    this.cursor = 0;
    this.wakeup.wake();
  }

  /**
   * Changes how long live readings are held for a batch. Readings already held are judged by the
   * new value at once: a shorter (or zero) batch sends what is now due without waiting out the old.
   */
  setBatchMs(batchMs: number): void {
    this.batchMs = batchMs;
    this.clearBatchTimer();
    this.wakeup.wake();
  }

  /** New readings are in the spool. */
  notify(): void {
    this.wakeup.wake();
  }

  /**
   * Stops publishing new envelopes and waits up to `drainMs` for in-flight PUBACKs.
   * Readings not acknowledged by then stay in the spool for the next start.
   */
  async stop(drainMs: number): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.clearBatchTimer();
    this.stopSignal.abort(new Error('publisher stopping'));
    this.wakeup.wake();
    await this.loopDone.catch(() => undefined);
    this.running = false;
    if (this.inFlight.size === 0) return;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.options.timers.setTimeout(() => resolve('timeout'), drainMs);
    });
    const outcome = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => 'drained' as const),
      timeout,
    ]);
    if (timer) this.options.timers.clearTimeout(timer);
    if (outcome === 'timeout') {
      this.options.logger.warn(
        { inFlight: this.inFlight.size },
        'stopping with unacknowledged publishes; they stay spooled and are resent on the next start',
      );
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const transport = this.transport;
      if (!transport || this.inFlight.size >= this.options.limits.maxInFlight) {
        await this.wakeup.wait();
        continue;
      }
      const rows = this.options.queue.readAfter(this.cursor, ROWS_PER_FETCH);
      if (rows.length === 0) {
        await this.wakeup.wait();
        continue;
      }
      const { envelope, oversized } = this.pack(
        this.options.deviceId,
        rows,
        this.options.limits.maxPayloadBytes,
      );
      if (oversized.length > 0) this.dropOversized(oversized);
      if (!envelope) continue;
      if (this.shouldHoldForBatch(rows, envelope.seqs.length)) {
        await this.wakeup.wait();
        continue;
      }
      let slot: PublishSlot;
      try {
        slot = await this.options.rateLimiter.acquire(this.stopSignal.signal);
      } catch (error) {
        if (this.stopping) break;
        throw error;
      }
      // The connection may have changed while we waited for a slot: re-read from the spool.
      if (this.stopping || transport !== this.transport) {
        slot.settle();
        continue;
      }
      this.send(transport, envelope.payload, envelope.seqs, slot);
    }
  }

  private send(transport: MqttTransport, payload: string, seqs: number[], slot: PublishSlot): void {
    const generation = this.generation;
    this.cursor = seqs[seqs.length - 1] as number;
    this.counters.publishedMessages += 1;
    const publish = transport.publish(this.options.topic, payload).then(
      () => {
        // A PUBACK is final whatever happened to the connection since: the broker has it.
        this.counters.lastPubackAtMs = this.options.clock.now();
        try {
          this.options.queue.acknowledge(seqs);
        } catch (error) {
          // A full disk refuses even the delete. Nothing is lost: the rows stay and go out again
          // after the next reconnect (consumers dedupe on seq). Thrown here, it would be an
          // unhandled rejection that takes the whole agent down.
          this.ackFailures.failed(error, { firstSeq: seqs[0], lastSeq: seqs[seqs.length - 1] });
          return;
        }
        this.ackFailures.succeeded();
        this.counters.acknowledgedReadings += seqs.length;
      },
      (error: unknown) => {
        this.counters.publishFailures += 1;
        if (generation === this.generation) {
          // Still "connected" but the publish failed: resend from the oldest unacknowledged.
          this.generation += 1;
          this.cursor = 0;
        }
        this.options.logger.warn(
          { err: error, firstSeq: seqs[0], lastSeq: seqs[seqs.length - 1] },
          'publish not acknowledged; readings stay spooled for resend',
        );
      },
    );
    this.inFlight.add(publish);
    void publish.finally(() => {
      slot.settle();
      this.inFlight.delete(publish);
      this.wakeup.wake();
    });
  }

  /**
   * With batchSeconds > 0, live readings wait until the oldest is batchMs old, unless the
   * envelope is already as full as it can get (catch-up) or we are stopping.
   */
  private shouldHoldForBatch(rows: readonly { takenAtMs: number }[], packedCount: number): boolean {
    const { batchMs } = this;
    if (batchMs <= 0 || this.stopping) return false;
    // The envelope could not take every waiting reading: it is full, waiting cannot improve it.
    if (packedCount < rows.length) return false;
    const oldest = rows[0]?.takenAtMs ?? 0;
    const dueInMs = oldest + batchMs - this.options.clock.now();
    if (dueInMs <= 0) return false;
    this.clearBatchTimer();
    this.batchTimer = this.options.timers.setTimeout(() => {
      this.batchTimer = undefined;
      this.wakeup.wake();
    }, dueInMs);
    return true;
  }

  private dropOversized(rows: readonly { seq: number; json: string }[]): void {
    const seqs = rows.map((row) => row.seq);
    this.options.queue.acknowledge(seqs);
    this.counters.oversizedDropped += seqs.length;
    this.options.logger.error(
      { seqs, maxPayloadBytes: this.options.limits.maxPayloadBytes },
      'dropped readings larger than the payload limit; they could never be published',
    );
  }

  private clearBatchTimer(): void {
    if (this.batchTimer) this.options.timers.clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
  }
}
