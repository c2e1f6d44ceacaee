import type { S3Event } from 'aws-lambda';

/** One object named by an S3 event notification, its key already URL-decoded. */
export interface CreatedObject {
  bucket: string;
  key: string;
  sizeBytes: number | null;
  eventTime: string | null;
}

export interface SkippedEventRecord {
  index: number;
  reason: string;
}

export interface ParsedS3Event {
  objects: CreatedObject[];
  skipped: SkippedEventRecord[];
}

/**
 * S3 URL-encodes keys in notifications, with spaces as '+'
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-s3-tutorial.html): decode both.
 */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * Reads the created objects out of an S3 event (one or many records). Records that are not
 * ObjectCreated, or are malformed, are skipped with a reason the handler logs, never dropped silently.
 */
export function parseS3Event(event: unknown): ParsedS3Event {
  const records = (event as Partial<S3Event> | null)?.Records;
  if (!Array.isArray(records))
    return { objects: [], skipped: [{ index: -1, reason: 'event has no Records array' }] };
  const objects: CreatedObject[] = [];
  const skipped: SkippedEventRecord[] = [];
  records.forEach((record: Partial<S3Event['Records'][number]>, index) => {
    const eventName = record?.eventName;
    if (typeof eventName !== 'string' || !eventName.startsWith('ObjectCreated:')) {
      skipped.push({ index, reason: `not an ObjectCreated event (${String(eventName)})` });
      return;
    }
    const bucket = record.s3?.bucket?.name;
    const rawKey = record.s3?.object?.key;
    if (typeof bucket !== 'string' || bucket === '' || typeof rawKey !== 'string' || rawKey === '') {
      skipped.push({ index, reason: 'record names no bucket or object key' });
      return;
    }
    let key: string;
    try {
      key = decodeS3Key(rawKey);
    } catch {
      skipped.push({ index, reason: `object key "${rawKey}" is not valid URL encoding` });
      return;
    }
    const size = record.s3?.object?.size;
    objects.push({
      bucket,
      key,
      sizeBytes: typeof size === 'number' ? size : null,
      eventTime: typeof record.eventTime === 'string' ? record.eventTime : null,
    });
  });
  return { objects, skipped };
}
