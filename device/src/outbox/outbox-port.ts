import type { CauseCounts } from '../spool/storage-cause.js';

/** A photo waiting in the outbox for upload. */
export interface OutboxPhoto {
  /** The coffee event's id (lowercase UUID); also the photo's file name and S3 key stem. */
  eventId: string;
  /** The thing name of the device that took it. */
  deviceId: string;
  /** Epoch ms of the capture; the S3 key's date and the `captured-at` metadata come from it. */
  capturedAtMs: number;
  /** Size of the JPEG in bytes. */
  bytes: number;
}

/** A JPEG the camera has written to `sourcePath`; the outbox takes it over (moves it). */
export interface AddPhoto {
  eventId: string;
  deviceId: string;
  capturedAtMs: number;
  sourcePath: string;
}

export interface OutboxLimits {
  /** Most photos kept waiting; the oldest are dropped first. 0 = unlimited. */
  maxPhotos: number;
  /** Most JPEG bytes kept waiting; the oldest are dropped first. 0 = unlimited. */
  maxBytes: number;
}

export interface OutboxStats {
  /** Photos waiting for upload. */
  depth: number;
  /** Their JPEG bytes. */
  bytes: number;
  /** Capture time of the oldest waiting photo, null when empty. */
  oldestCapturedAtMs: number | null;
  /** Photos dropped without upload (caps, or a photo file lost on disk) since the outbox was created (persisted). */
  dropped: number;
  /** Photos found after a crash without their metadata and adopted back into the queue (persisted). */
  recovered: number;
  /** Unreadable files moved aside to `outbox/quarantine/` for inspection (persisted). */
  quarantined: number;
  /** Photo or metadata writes the storage refused since start, per cause (disk full, I/O error…). */
  unstored: CauseCounts;
}

/**
 * Durable FIFO of photos waiting for upload, oldest capture first. A photo leaves it only by
 * `remove` (after S3 confirmed the upload) or by a counted, logged drop when a cap is exceeded.
 */
export interface PhotoOutbox {
  /** Takes over the JPEG at `sourcePath` and stores it durably with its metadata. */
  add(photo: AddPhoto): Promise<OutboxPhoto>;
  /** Waiting photos, oldest first (by capture time, then eventId). */
  list(): OutboxPhoto[];
  /** The JPEG bytes of a waiting photo. Throws OutboxPhotoMissingError when it is gone. */
  read(eventId: string): Promise<Buffer>;
  /** The photo is confirmed uploaded: delete it (or keep it aside when configured). Unknown ids are ignored. */
  remove(eventId: string): Promise<void>;
  stats(): OutboxStats;
}
