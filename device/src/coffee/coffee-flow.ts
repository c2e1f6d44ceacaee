import type { CoffeeEvent, CoffeeTrigger } from '@coffee-iot/shared';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { type CauseCounts, noCauseCounts, type StorageCause, storageCause } from '../spool/storage-cause.js';
import { type PressOutcome, toCoffeeEvent } from './coffee-event.js';
import { PRESS_NOT_FINISHED, type PressAdmission } from './press-admission.js';

/** The camera as the flow needs it (device/src/camera/camera-port.ts implements it). */
export interface CaptureCamera {
  capture(destinationPath: string, signal?: AbortSignal): Promise<unknown>;
}

/** Where captured photos go to wait for upload (device/src/outbox implements it). */
export interface CaptureOutbox {
  /** A path on the outbox's filesystem where the camera may write (atomic move afterwards). */
  stagingPath(eventId: string): string;
  add(entry: {
    eventId: string;
    deviceId: string;
    capturedAtMs: number;
    sourcePath: string;
  }): Promise<unknown>;
}

export interface CoffeeFlowOptions {
  deviceId: string;
  bootId: string;
  camera: CaptureCamera;
  outbox: CaptureOutbox;
  /** Shows the LED countdown and flash; resolves when it is time to take the photo. */
  countdown: (signal: AbortSignal) => Promise<void>;
  /** Shows that the capture failed (LED icon); must not throw. */
  showError: () => void;
  /**
   * Durably queues the event for publishing (the spool's coffee queue), replacing the press's
   * reservation when there is one. Throws when the storage refuses the write.
   */
  queueEvent: (event: CoffeeEvent, reservation?: number) => void;
  /**
   * Durably stores a fallback event at press time, before the press is answered, and returns
   * its reservation. Throws when the storage refuses the write: the press is then refused.
   * Absent: presses are accepted without a durable record until their outcome is known.
   */
  reservePress?: (fallback: CoffeeEvent) => number;
  /** Presses this soon after a capture finished are skipped too (ms). */
  cooldownMs: number;
  clock: Clock;
  logger: Logger;
  newEventId: () => string;
}

export interface CoffeeFlowStats {
  presses: number;
  captured: number;
  captureFailures: number;
  /** Presses ignored because a capture was running or just finished (cooldown). */
  skipped: number;
  /** Events the spool refused (disk full, closed): lost, so counted and logged. */
  eventQueueFailures: number;
  /** Presses refused or lost because their event could not be stored, per storage cause. */
  unrecordedPresses: CauseCounts;
}

/**
 * One press → countdown → photo → outbox, and a coffee event for every press whatever the
 * outcome. Only one capture runs at a time; presses meanwhile are skipped and still reported.
 * A broken camera ends in a `camera_failed` event: it never throws out of here, so the button
 * keeps working and telemetry never notices.
 */
export class CoffeeFlow {
  private running: Promise<void> | null = null;
  private busyUntilMs = 0;
  private readonly abort = new AbortController();
  private readonly counters: CoffeeFlowStats = {
    presses: 0,
    captured: 0,
    captureFailures: 0,
    skipped: 0,
    eventQueueFailures: 0,
    unrecordedPresses: noCauseCounts(),
  };

  constructor(private readonly options: CoffeeFlowOptions) {}

  stats(): CoffeeFlowStats {
    return { ...this.counters, unrecordedPresses: { ...this.counters.unrecordedPresses } };
  }

  /** Handles one press; returns the capture's completion (tests await it, triggers don't). */
  press(trigger: CoffeeTrigger, pressedAtMs: number = this.options.clock.now()): Promise<void> {
    return this.admit(trigger, pressedAtMs).done;
  }

  /**
   * Handles one press and says at once whether it was durably recorded, so a caller that can
   * be answered (the HTTP control port) never hears "accepted" for a press that will vanish.
   */
  admit(trigger: CoffeeTrigger, pressedAtMs: number = this.options.clock.now()): PressAdmission {
    this.counters.presses += 1;
    const eventId = this.options.newEventId();
    const busy = this.running !== null || pressedAtMs < this.busyUntilMs || this.abort.signal.aborted;
    if (busy) {
      this.counters.skipped += 1;
      const reason = this.running
        ? 'a capture was already running'
        : 'pressed during the cooldown after a capture';
      this.options.logger.info({ eventId, trigger, reason }, 'coffee press skipped');
      const refused = this.record({ eventId, pressedAtMs, trigger, outcome: 'skipped', reason });
      return refused
        ? { accepted: false, eventId, ...refused, done: Promise.resolve() }
        : { accepted: true, eventId, done: Promise.resolve() };
    }
    let reservation: number | undefined;
    try {
      reservation = this.options.reservePress?.(
        toCoffeeEvent(this.options.deviceId, this.options.bootId, {
          eventId,
          pressedAtMs,
          trigger,
          outcome: 'camera_failed',
          reason: PRESS_NOT_FINISHED,
        }),
      );
    } catch (error) {
      const refused = this.unrecorded(eventId, error, 'coffee press refused: it cannot be recorded');
      return { accepted: false, eventId, ...refused, done: Promise.resolve() };
    }
    const run = this.capture(eventId, trigger, pressedAtMs, reservation).finally(() => {
      this.running = null;
      this.busyUntilMs = this.options.clock.now() + this.options.cooldownMs;
    });
    this.running = run;
    return { accepted: true, eventId, done: run };
  }

  /** Aborts a countdown in progress and waits for the capture to settle. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('agent stopping'));
    await this.running;
  }

  private async capture(
    eventId: string,
    trigger: CoffeeTrigger,
    pressedAtMs: number,
    reservation: number | undefined,
  ): Promise<void> {
    const { logger } = this.options;
    logger.info({ eventId, trigger }, 'coffee press: counting down');
    try {
      await this.options.countdown(this.abort.signal);
      const stagingPath = this.options.outbox.stagingPath(eventId);
      await this.options.camera.capture(stagingPath, this.abort.signal);
      const capturedAtMs = this.options.clock.now();
      await this.options.outbox.add({
        eventId,
        deviceId: this.options.deviceId,
        capturedAtMs,
        sourcePath: stagingPath,
      });
      this.counters.captured += 1;
      logger.info({ eventId }, 'photo captured and queued for upload');
      this.record({ eventId, pressedAtMs, trigger, outcome: 'captured', capturedAtMs }, reservation);
    } catch (error) {
      this.counters.captureFailures += 1;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger.error({ eventId, err: error }, 'capture failed; the press is recorded as camera_failed');
      this.options.showError();
      this.record({ eventId, pressedAtMs, trigger, outcome: 'camera_failed', reason }, reservation);
    }
  }

  /** Queues the press's event; on failure returns why (the press is then unrecorded). */
  private record(press: PressOutcome, reservation?: number): { cause: StorageCause; reason: string } | null {
    const event = toCoffeeEvent(this.options.deviceId, this.options.bootId, press);
    try {
      this.options.queueEvent(event, reservation);
      return null;
    } catch (error) {
      return this.unrecorded(press.eventId, error, 'coffee event could not be queued');
    }
  }

  /** Counts a press whose event cannot be stored, logs it, and shows the error on the LEDs. */
  private unrecorded(
    eventId: string,
    error: unknown,
    message: string,
  ): { cause: StorageCause; reason: string } {
    const cause = storageCause(error);
    this.counters.eventQueueFailures += 1;
    this.counters.unrecordedPresses[cause] += 1;
    this.options.logger.error({ err: error, eventId, cause }, message);
    this.options.showError();
    return { cause, reason: error instanceof Error ? error.message : String(error) };
  }
}
