/**
 * S3 URL-encodes object keys in event notifications (spaces as '+'); s3rver, our local S3, emits
 * them raw. Encoding them here lets the local stack hand the photo handler exactly what AWS
 * would, so the handler's decoding runs the same code path in both places.
 */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

interface NotificationRecordLike {
  s3?: { object?: { key?: unknown } };
}

/** A copy of an s3rver event with every object key encoded as S3 encodes it. */
export function asS3Notification<T extends { Records?: NotificationRecordLike[] }>(event: T): T {
  return {
    ...event,
    Records: (event.Records ?? []).map((record) => {
      const key = record.s3?.object?.key;
      if (typeof key !== 'string' || record.s3?.object === undefined) return record;
      return { ...record, s3: { ...record.s3, object: { ...record.s3.object, key: encodeS3Key(key) } } };
    }),
  };
}
