import { photoKey } from '@coffee-iot/shared';
import { OutboxConfigError } from './outbox-errors.js';
import type { OutboxLimits, OutboxPhoto } from './outbox-port.js';

/** Oldest capture first; eventId breaks ties so the order is total and the same after a restart. */
export function oldestFirst(a: OutboxPhoto, b: OutboxPhoto): number {
  if (a.capturedAtMs !== b.capturedAtMs) return a.capturedAtMs - b.capturedAtMs;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Cap policy (the same as the telemetry spool's): when the waiting photos exceed `maxPhotos` or
 * `maxBytes`, the OLDEST are dropped until both caps hold. The newest photo is the one most
 * likely still wanted (someone is at the machine now), and a backlog that outgrew its cap has
 * been offline for a long time. A photo larger than `maxBytes` on its own is dropped too.
 * Returns the photos to drop, oldest first; `sorted` must be oldest first.
 */
export function selectDrops(sorted: readonly OutboxPhoto[], limits: OutboxLimits): OutboxPhoto[] {
  let depth = sorted.length;
  let bytes = sorted.reduce((sum, photo) => sum + photo.bytes, 0);
  const drops: OutboxPhoto[] = [];
  for (const photo of sorted) {
    const overCount = limits.maxPhotos > 0 && depth > limits.maxPhotos;
    const overBytes = limits.maxBytes > 0 && bytes > limits.maxBytes;
    if (!overCount && !overBytes) break;
    drops.push(photo);
    depth -= 1;
    bytes -= photo.bytes;
  }
  return drops;
}

export function checkLimits(limits: OutboxLimits): OutboxLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new OutboxConfigError(
        `outbox limit ${name} must be a whole number ≥ 0 (0 = unlimited), got ${value}`,
      );
    }
  }
  return { maxPhotos: limits.maxPhotos, maxBytes: limits.maxBytes };
}

/**
 * Rejects a photo that could never be uploaded (its S3 key cannot be built): accepted, it would
 * sit at the head of the queue and block every photo behind it.
 * Returns the reason, or null when the photo is fine.
 */
export function unuploadableReason(
  photo: Pick<OutboxPhoto, 'eventId' | 'deviceId' | 'capturedAtMs'>,
): string | null {
  if (!Number.isFinite(photo.capturedAtMs)) return `capturedAtMs ${photo.capturedAtMs} is not a time`;
  try {
    photoKey(photo.deviceId, new Date(photo.capturedAtMs), photo.eventId);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
