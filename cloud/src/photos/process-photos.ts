import {
  type CoffeeRecord,
  ContractValidationError,
  PhotoKeyError,
  parsePhotoKey,
  validateCoffeeRecord,
} from '@coffee-iot/shared';
import type { CoffeeRepository } from '../db/coffee-repository.js';
import type { Logger } from '../logging/logger.js';
import type { IngestStream } from '../stream/ingest-stream.js';
import { type AnalyzePhotoDeps, analyzePhoto } from './analyze-photo.js';
import { toIngestRecord } from './coffee-stream-record.js';
import { settleLimited } from './map-limited.js';
import type { CreatedObject } from './s3-event.js';

export interface PhotoPipelineDeps extends AnalyzePhotoDeps {
  coffees: CoffeeRepository;
  stream: IngestStream;
  logger: Logger;
  /** Privacy: delete each photo once its analysis is stored and streamed, keeping only attributes. */
  deletePhotoAfterAnalysis: boolean;
  /** Photos analysed at once within one event (S3 usually sends one record per event). */
  concurrency?: number;
}

export interface PhotoBatchResult {
  /** Photo keys recorded for the first time by this call. */
  recorded: string[];
  /** Photo keys that already had a row (S3 delivers events at least once). */
  duplicates: string[];
  /** Objects that are not coffee photos, with the reason. */
  skipped: { key: string; reason: string }[];
  /** Coffee records written to the ingest stream by this call (new ones and earlier unsent ones). */
  streamed: number;
  /** Photos deleted for privacy by this call. */
  deleted: number;
}

export interface PhotoFailure {
  key: string;
  error: unknown;
}

/**
 * Some photos of the event could not be processed for a reason that may pass (analyzer throttled,
 * database or stream unavailable). Thrown after every other photo was handled, so Lambda retries
 * the event and, after its retries, hands it to the on-failure destination. Photos already
 * recorded are recognised by their key on the retry and not analysed again.
 */
export class PhotoBatchRetryError extends Error {
  override readonly name = 'PhotoBatchRetryError';
  constructor(readonly failures: readonly PhotoFailure[]) {
    super(
      `${failures.length} photo(s) must be retried: ${failures
        .map(
          (f) =>
            `${f.key}: ${f.error instanceof Error ? `${f.error.name}: ${f.error.message}` : String(f.error)}`,
        )
        .join('; ')}`,
      { cause: failures[0]?.error },
    );
  }
}

interface PhotoStep {
  key: string;
  /** A record that is in the database but not yet in the stream (an earlier attempt's). */
  toStream?: CoffeeRecord;
  /** Recorded and streamed in one transaction by this call. */
  streamed?: boolean;
  /** Delete the photo once everything about it is stored (privacy setting). */
  deleteAfter?: { bucket: string };
  outcome: 'recorded' | 'duplicate' | 'skipped';
  reason?: string;
}

/**
 * The photo pipeline for the objects of one S3 event: each photo is analysed once and stored in
 * one transaction (unique on its key) that also sends its record to the ingest stream and commits
 * it marked as streamed; a record an earlier attempt stored but could not stream goes to the
 * stream in one PutRecords pass with the others and is then marked. A retry after any failure
 * resumes where it stopped: never a half-written result, never a second row or analysis.
 */
export async function processPhotos(
  objects: readonly CreatedObject[],
  deps: PhotoPipelineDeps,
): Promise<PhotoBatchResult> {
  const settled = await settleLimited(objects, deps.concurrency ?? 4, (object) => stepFor(object, deps));
  const failures: PhotoFailure[] = [];
  const steps: PhotoStep[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') steps.push(result.value);
    else failures.push({ key: objects[index]?.key ?? '?', error: result.reason });
  });

  const toStream = steps.flatMap((step) => (step.toStream ? [step.toStream] : []));
  let streamedOk = toStream.length === 0;
  if (toStream.length > 0) {
    try {
      await deps.stream.putRecords(toStream.map(toIngestRecord));
      await deps.coffees.markStreamed(
        toStream.map((record) => record.photoKey),
        deps.now(),
      );
      streamedOk = true;
    } catch (error) {
      for (const record of toStream) failures.push({ key: record.photoKey, error });
    }
  }

  let deleted = 0;
  for (const step of steps) {
    // Only once everything about the photo is stored and streamed.
    if (!step.deleteAfter || (step.toStream && !streamedOk)) continue;
    try {
      await deps.store.delete(step.deleteAfter.bucket, step.key);
      deleted += 1;
      deps.logger.info({ photoKey: step.key }, 'photo deleted after analysis (privacy setting)');
    } catch (error) {
      failures.push({ key: step.key, error });
    }
  }

  for (const failure of failures) {
    deps.logger.error(
      { photoKey: failure.key, err: failure.error },
      'photo not processed; the event will be retried',
    );
  }
  if (failures.length > 0) throw new PhotoBatchRetryError(failures);

  return {
    recorded: steps.filter((s) => s.outcome === 'recorded').map((s) => s.key),
    duplicates: steps.filter((s) => s.outcome === 'duplicate').map((s) => s.key),
    skipped: steps
      .filter((s) => s.outcome === 'skipped')
      .map((s) => ({ key: s.key, reason: s.reason ?? '' })),
    streamed: toStream.length + steps.filter((s) => s.streamed).length,
    deleted,
  };
}

async function stepFor(object: CreatedObject, deps: PhotoPipelineDeps): Promise<PhotoStep> {
  const { bucket, key } = object;
  let photo: ReturnType<typeof parsePhotoKey>;
  try {
    photo = parsePhotoKey(key);
  } catch (error) {
    // The key has its own field; the reason never quotes it (a logger may redact that field).
    const reason = error instanceof PhotoKeyError ? error.problem : 'key could not be parsed as a photo key';
    deps.logger.warn({ bucket, key, reason }, 'object skipped: not a coffee photo');
    return { key, outcome: 'skipped', reason };
  }

  const existing = await deps.coffees.findByPhotoKey(key);
  if (existing !== null) {
    deps.logger.info({ photoKey: key, streamed: existing.streamedAt !== null }, 'photo already recorded');
    return {
      key,
      outcome: 'duplicate',
      // A previous attempt stored the row but did not reach the stream: finish its work.
      ...(existing.streamedAt === null ? { toStream: existing.record } : {}),
      // …or did not get to delete the photo.
      ...(deps.deletePhotoAfterAnalysis && existing.record.status === 'analyzed'
        ? { deleteAfter: { bucket } }
        : {}),
    };
  }

  const analyzed = await analyzePhoto(bucket, key, photo, deps);
  const valid = validateCoffeeRecord(analyzed.record);
  // A record off its contract is our bug: fail loudly (and retry) rather than store or stream it.
  if (!valid.ok) throw new ContractValidationError('coffee record v1', valid.problems);

  const outcome = await deps.coffees.recordStreamedCoffee(
    { record: analyzed.record, faceDetails: analyzed.faceDetails },
    publishOnce(deps.stream, analyzed.record),
    deps.now(),
  );
  const { deviceId, eventId, status, reason } = analyzed.record;
  if (outcome === 'duplicate') {
    // Another invocation recorded the same photo between our lookup and insert; it streams it.
    deps.logger.info(
      { photoKey: key, deviceId, eventId },
      'photo recorded concurrently by another invocation',
    );
    return { key, outcome: 'duplicate' };
  }
  deps.logger.info({ photoKey: key, deviceId, eventId, status, reason }, 'photo recorded');
  return {
    key,
    outcome: 'recorded',
    streamed: true,
    ...(deps.deletePhotoAfterAnalysis && status === 'analyzed' ? { deleteAfter: { bucket } } : {}),
  };
}

/**
 * The stream write of one new record, for recordStreamedCoffee: once it has succeeded, a call
 * from a transaction run again (deadlock victim, resume waited out) sends nothing more.
 */
function publishOnce(stream: IngestStream, record: CoffeeRecord): () => Promise<void> {
  let sent = false;
  return async () => {
    if (sent) return;
    await stream.putRecords([toIngestRecord(record)]);
    sent = true;
  };
}
