import {
  COFFEE_RECORD_TYPE,
  type CoffeeRecord,
  type CoffeeRecordStatus,
  type FaceAttributes,
  PHOTO_METADATA,
  type PhotoKeyParts,
  UNKNOWN_FACE_ATTRIBUTES,
} from '@coffee-iot/shared';
import { type FaceAnalyzer, UnanalyzablePhotoError } from '../analysis/face-analyzer.js';
import { PHOTO_SNIFF_BYTES, unanalyzableReason } from '../analysis/photo-format.js';
import type { PhotoStore, StoredPhotoInfo } from './photo-store.js';

export interface AnalyzePhotoDeps {
  store: PhotoStore;
  analyzer: FaceAnalyzer;
  now: () => Date;
}

/** What the pipeline stores and streams for one photo. */
export interface AnalyzedPhoto {
  record: CoffeeRecord;
  /** The analyzer's raw answer, for the database only; null when it did not run. */
  faceDetails: unknown;
}

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Looks at one photo and asks the analyzer about it. Permanent problems (object gone, too big,
 * not JPEG/PNG, refused by the analyzer as an image) become a record with that status and reason;
 * transient ones (analyzer or store unavailable) are thrown for the event to be retried.
 * Limits are checked here first so Rekognition is never paid to refuse a photo.
 */
export async function analyzePhoto(
  bucket: string,
  key: string,
  photo: PhotoKeyParts,
  deps: AnalyzePhotoDeps,
): Promise<AnalyzedPhoto> {
  // Both at once: one round trip to S3 before Rekognition rather than two. The outcome is the
  // one of asking in turn: a head that finds nothing makes the photo missing, whatever the read
  // answered (it is wasted then; rare: photos are only deleted after their analysis).
  const [head, read] = await Promise.allSettled([
    deps.store.head(bucket, key),
    deps.store.readStart(bucket, key, PHOTO_SNIFF_BYTES),
  ]);
  if (head.status === 'rejected') throw head.reason;
  const info = head.value;
  if (info === null) return notAnalyzed(key, photo, null, 'missing', 'object no longer exists', null, deps);
  const capturedAt = capturedAtOf(info);
  if (read.status === 'rejected') throw read.reason;
  const start = read.value;
  if (start === null)
    return notAnalyzed(key, photo, capturedAt, 'missing', 'object no longer exists', null, deps);
  const refusal = unanalyzableReason({ sizeBytes: info.sizeBytes, start });
  if (refusal !== null) return notAnalyzed(key, photo, capturedAt, 'unanalyzable', refusal, null, deps);

  try {
    const analysis = await deps.analyzer.analyze({ bucket, key });
    const { analyzer, faceDetails, ...attributes } = analysis;
    return {
      record: buildRecord(key, photo, capturedAt, 'analyzed', null, analyzer, attributes, deps.now()),
      faceDetails,
    };
  } catch (error) {
    if (error instanceof UnanalyzablePhotoError) {
      return notAnalyzed(key, photo, capturedAt, 'unanalyzable', error.reason, deps.analyzer.name, deps);
    }
    throw error;
  }
}

function notAnalyzed(
  key: string,
  photo: PhotoKeyParts,
  capturedAt: string | null,
  status: CoffeeRecordStatus,
  reason: string,
  analyzer: string | null,
  deps: AnalyzePhotoDeps,
): AnalyzedPhoto {
  return {
    record: buildRecord(
      key,
      photo,
      capturedAt,
      status,
      reason,
      analyzer,
      UNKNOWN_FACE_ATTRIBUTES,
      deps.now(),
    ),
    faceDetails: null,
  };
}

function buildRecord(
  photoKey: string,
  photo: PhotoKeyParts,
  capturedAt: string | null,
  status: CoffeeRecordStatus,
  reason: string | null,
  analyzer: string | null,
  attributes: FaceAttributes,
  analyzedAt: Date,
): CoffeeRecord {
  return {
    v: 1,
    type: COFFEE_RECORD_TYPE,
    // The key, not the metadata, names the device: IoT credentials only let a device write under
    // photos/{its own thing name}/, while metadata is whatever the uploader sent.
    deviceId: photo.thingName,
    eventId: photo.eventId,
    photoKey,
    capturedAt,
    analyzedAt: analyzedAt.toISOString(),
    status,
    reason,
    analyzer,
    ...attributes,
  };
}

/** The capture time the device put in the object's metadata, if it is a valid ISO-8601 UTC time. */
function capturedAtOf(info: StoredPhotoInfo): string | null {
  const value = info.metadata[PHOTO_METADATA.capturedAt];
  return value !== undefined && ISO_MILLIS.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}
