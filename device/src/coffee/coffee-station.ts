import type { CoffeeTrigger } from '@coffee-iot/shared';
import type { Press, PressTrigger } from '../button/button-port.js';
import type { CoffeeSnapshot } from '../health/agent-snapshot.js';
import type { LedMatrix } from '../leds/led-port.js';
import type { Logger } from '../ports/logger.js';
import { type CauseCounts, noCauseCounts } from '../spool/storage-cause.js';
import type { CoffeeFlow } from './coffee-flow.js';
import { answerFor, type PressAdmission, type PressAnswer } from './press-admission.js';

/** A trigger that can answer its caller (the HTTP control port): told whether the press was recorded. */
interface AnsweringTrigger {
  answerPresses(handler: (press: Press) => PressAnswer): () => void;
}

function canAnswer(trigger: PressTrigger): trigger is PressTrigger & AnsweringTrigger {
  return typeof (trigger as Partial<AnsweringTrigger>).answerPresses === 'function';
}

/** The long-lived parts of the coffee button, built by `openCoffeeStation`. */
export interface CoffeeStationParts {
  flow: CoffeeFlow;
  triggers: readonly PressTrigger[];
  leds: LedMatrix;
  outbox: {
    start(): Promise<void>;
    stop(): Promise<void>;
    stats(): { depth: number; oldestCapturedAtMs: number | null; dropped: number; unstored?: CauseCounts };
  };
  /** null when no bucket is configured: photos wait in the outbox. */
  uploads: {
    start(): void;
    stop(): Promise<void>;
    notify(): void;
    stats(): { uploaded: number; uploadFailures: number };
  } | null;
  logger: Logger;
}

/**
 * Button(s) → coffee flow → outbox → uploads, with start/stop in dependency order. A trigger
 * that cannot start (no GPIO, no joystick) is logged and left out: the others, and
 * telemetry, keep working.
 */
export class CoffeeStation {
  private readonly unsubscribes: Array<() => void> = [];
  private readonly started: PressTrigger[] = [];

  constructor(private readonly parts: CoffeeStationParts) {}

  async start(): Promise<void> {
    const { outbox, uploads, flow, triggers, logger } = this.parts;
    await outbox.start();
    uploads?.start();
    for (const trigger of triggers) {
      this.unsubscribes.push(
        canAnswer(trigger)
          ? trigger.answerPresses((press) => answerFor(flow.admit(press.source, press.atMs)))
          : trigger.onPress((press) => {
              // A press that cannot be recorded shows the error icon; the flow counts and logs it.
              void flow.admit(press.source, press.atMs).done;
            }),
      );
      try {
        await trigger.start();
        this.started.push(trigger);
        logger.info({ trigger: trigger.name }, 'coffee trigger ready');
      } catch (error) {
        logger.warn(
          { trigger: trigger.name, err: error },
          'coffee trigger unavailable; the others keep working',
        );
      }
    }
  }

  /**
   * A press that comes from neither a trigger nor the control port (a `capture-photo` job): the
   * same countdown, photo, upload and coffee event as the button.
   */
  press(source: CoffeeTrigger): PressAdmission {
    return this.parts.flow.admit(source);
  }

  /** A photo reached the outbox: wake the uploads. */
  photoQueued(): void {
    this.parts.uploads?.notify();
  }

  /** Shows the connection state on the LEDs (an "offline" icon while the broker is away). */
  connectionChanged(connected: boolean): void {
    void (connected ? this.parts.leds.clear() : this.parts.leds.showIcon('offline'));
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    for (const trigger of this.started.splice(0)) {
      try {
        await trigger.stop();
      } catch (error) {
        this.parts.logger.error({ trigger: trigger.name, err: error }, 'coffee trigger did not stop cleanly');
      }
    }
    await this.parts.flow.stop();
    await this.parts.uploads?.stop();
    await this.parts.outbox.stop();
    await this.parts.leds.close();
  }

  snapshot(pendingEvents: number): CoffeeSnapshot {
    const flow = this.parts.flow.stats();
    const outbox = this.parts.outbox.stats();
    const uploads = this.parts.uploads?.stats() ?? { uploaded: 0, uploadFailures: 0 };
    return {
      outboxDepth: outbox.depth,
      oldestPendingPhotoAtMs: outbox.oldestCapturedAtMs,
      outboxDropped: outbox.dropped,
      captureFailures: flow.captureFailures,
      uploadFailures: uploads.uploadFailures,
      skippedPresses: flow.skipped,
      presses: flow.presses,
      uploaded: uploads.uploaded,
      pendingEvents,
      unrecordedPresses: flow.unrecordedPresses,
      outboxWriteFailures: outbox.unstored ?? noCauseCounts(),
    };
  }
}
