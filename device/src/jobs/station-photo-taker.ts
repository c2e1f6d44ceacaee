import type { CoffeeEvent, CoffeeTrigger } from '@coffee-iot/shared';
import type { PressAdmission } from '../coffee/press-admission.js';
import type { PhotoResult, PhotoTaker } from './handlers/capture-photo.js';

/** The part of the coffee station a job presses (device/src/coffee/coffee-station.ts). */
export interface PressableStation {
  press(source: CoffeeTrigger): PressAdmission;
}

/** How many recent coffee events are remembered to find a job's press among them. */
const RECENT_EVENTS = 32;

/**
 * Takes a photo by pressing the coffee station, and reads the press's outcome from the coffee
 * event it queued (wire `eventQueued` to the station's queueEvent). The press is reported as
 * `http`, like every press that comes over a remote channel.
 */
export class StationPhotoTaker implements PhotoTaker {
  private readonly recent = new Map<string, CoffeeEvent>();

  constructor(private readonly station: () => PressableStation | undefined) {}

  /** The station queued a coffee event. */
  eventQueued(event: CoffeeEvent): void {
    this.recent.set(event.eventId, event);
    for (const eventId of this.recent.keys()) {
      if (this.recent.size <= RECENT_EVENTS) break;
      this.recent.delete(eventId);
    }
  }

  async takePhoto(started: (eventId: string) => Promise<void>): Promise<PhotoResult> {
    const station = this.station();
    if (!station) return { outcome: 'failed', eventId: null, reason: 'the coffee station is not running' };
    const admission = station.press('http');
    if (!admission.accepted) {
      return {
        outcome: 'failed',
        eventId: admission.eventId,
        reason: `the press could not be recorded (${admission.cause}): ${admission.reason}`,
      };
    }
    await started(admission.eventId);
    await admission.done; // settles after the press's event was queued (or refused)
    const event = this.recent.get(admission.eventId);
    if (!event) {
      return {
        outcome: 'failed',
        eventId: admission.eventId,
        reason: 'the outcome of the press could not be stored (see the agent log)',
      };
    }
    if (event.outcome === 'captured' && event.photoKey) {
      return { outcome: 'captured', eventId: event.eventId, photoKey: event.photoKey };
    }
    return {
      outcome: 'failed',
      eventId: event.eventId,
      reason: `${event.outcome}: ${event.reason ?? 'no photo'}`,
    };
  }
}
