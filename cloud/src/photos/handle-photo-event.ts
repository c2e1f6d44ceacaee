import { type PhotoBatchResult, type PhotoPipelineDeps, processPhotos } from './process-photos.js';
import { parseS3Event } from './s3-event.js';

export interface PhotoEventSummary extends PhotoBatchResult {
  /** Event records that named no created object (logged with their reason). */
  ignoredRecords: number;
}

/** The photo Lambda's body: S3 event in, summary out; throws when the event must be retried. */
export async function handlePhotoEvent(event: unknown, deps: PhotoPipelineDeps): Promise<PhotoEventSummary> {
  const { objects, skipped } = parseS3Event(event);
  for (const record of skipped) {
    deps.logger.warn({ recordIndex: record.index, reason: record.reason }, 'S3 event record ignored');
  }
  const result = await processPhotos(objects, deps);
  deps.logger.info(
    {
      recorded: result.recorded.length,
      duplicates: result.duplicates.length,
      skipped: result.skipped.length,
      streamed: result.streamed,
      deleted: result.deleted,
    },
    'photo event processed',
  );
  return { ...result, ignoredRecords: skipped.length };
}
