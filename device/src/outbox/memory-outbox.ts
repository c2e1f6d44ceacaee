import { readFile, unlink } from 'node:fs/promises';
import { noCauseCounts } from '../spool/storage-cause.js';
import { OutboxPhotoMissingError, OutboxWriteError } from './outbox-errors.js';
import { checkLimits, oldestFirst, selectDrops, unuploadableReason } from './outbox-order.js';
import type { AddPhoto, OutboxLimits, OutboxPhoto, OutboxStats, PhotoOutbox } from './outbox-port.js';

/**
 * In-memory outbox with the real one's rules (order, caps, validation, missing-photo errors):
 * the fake for unit tests and mock mode without a state directory. Nothing survives a restart.
 */
export class MemoryPhotoOutbox implements PhotoOutbox {
  private readonly photos = new Map<string, { photo: OutboxPhoto; body: Buffer }>();
  private readonly limits: OutboxLimits;
  private dropped = 0;
  /** Event ids passed to remove(), in order: what a test checks as "uploaded and removed". */
  readonly removed: string[] = [];
  /** Event ids dropped by the caps, in order. */
  readonly droppedIds: string[] = [];

  constructor(limits: OutboxLimits = { maxPhotos: 0, maxBytes: 0 }) {
    this.limits = checkLimits(limits);
  }

  /** Like the real add(): takes the file over (reads and deletes it). */
  async add(input: AddPhoto): Promise<OutboxPhoto> {
    const { sourcePath, ...meta } = input;
    let body: Buffer;
    try {
      body = await readFile(sourcePath);
    } catch (cause) {
      throw new OutboxWriteError(`photo ${input.eventId} could not be stored: ${(cause as Error).message}`, {
        cause,
      });
    }
    const photo = this.addBytes(meta, body);
    await unlink(sourcePath);
    return photo;
  }

  /** Queues a photo straight from memory (unit tests). */
  addBytes(meta: Omit<AddPhoto, 'sourcePath'>, body: Buffer): OutboxPhoto {
    const invalid = unuploadableReason(meta);
    if (invalid) throw new OutboxWriteError(`photo ${meta.eventId} cannot be uploaded: ${invalid}`);
    if (body.length === 0) throw new OutboxWriteError(`photo ${meta.eventId} could not be stored: empty`);
    if (this.photos.has(meta.eventId))
      throw new OutboxWriteError(`photo ${meta.eventId} is already in the outbox`);
    const photo: OutboxPhoto = {
      eventId: meta.eventId,
      deviceId: meta.deviceId,
      capturedAtMs: meta.capturedAtMs,
      bytes: body.length,
    };
    this.photos.set(photo.eventId, { photo, body });
    for (const drop of selectDrops(this.list(), this.limits)) {
      this.photos.delete(drop.eventId);
      this.dropped += 1;
      this.droppedIds.push(drop.eventId);
    }
    return photo;
  }

  list(): OutboxPhoto[] {
    return [...this.photos.values()].map((entry) => entry.photo).sort(oldestFirst);
  }

  async read(eventId: string): Promise<Buffer> {
    const entry = this.photos.get(eventId);
    if (!entry) {
      throw new OutboxPhotoMissingError(
        eventId,
        `photo ${eventId} is not in the outbox (uploaded or dropped)`,
      );
    }
    return Buffer.from(entry.body);
  }

  async remove(eventId: string): Promise<void> {
    if (this.photos.delete(eventId)) this.removed.push(eventId);
  }

  stats(): OutboxStats {
    const photos = this.list();
    return {
      depth: photos.length,
      bytes: photos.reduce((sum, photo) => sum + photo.bytes, 0),
      oldestCapturedAtMs: photos[0]?.capturedAtMs ?? null,
      dropped: this.dropped,
      recovered: 0,
      quarantined: 0,
      unstored: noCauseCounts(),
    };
  }
}
