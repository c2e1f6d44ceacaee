import { PHOTO_KEY_PREFIX } from '@coffee-iot/shared';

/**
 * The bucket notification's prefix filter, as the stack's S3 notification has it in AWS
 * (infra/src/constructs/photos.ts: ObjectCreated under `photos/` only): other objects in the bucket
 * (a device's `logs/`) are not the photo handler's, so it never hears of them and never warns.
 * Returns the event with only its photo records, or null when none is left.
 */
export function photoRecordsOnly(event: { Records: unknown[] }): { Records: unknown[] } | null {
  const records = event.Records.filter((record) => {
    const key = (record as { s3?: { object?: { key?: unknown } } }).s3?.object?.key;
    return typeof key === 'string' && key.startsWith(`${PHOTO_KEY_PREFIX}/`);
  });
  return records.length === 0 ? null : { ...event, Records: records };
}
