import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ObjectCreatedRecord {
  eventName: 'ObjectCreated:Put';
  eventTime: string;
  s3: { bucket: { name: string }; object: { key: string; size: number } };
}

/**
 * Every photo in the bucket as ObjectCreated events of `perEvent` records: at start the stack
 * hands them all to the photo handler, which skips the ones it already recorded (one lookup
 * each) and analyses photos whose event was lost while the stack was down or crashing.
 */
export async function photosAsEvents(
  client: S3Client,
  bucket: string,
  perEvent = 50,
): Promise<{ Records: ObjectCreatedRecord[] }[]> {
  const records: ObjectCreatedRecord[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'photos/', ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      records.push({
        eventName: 'ObjectCreated:Put',
        eventTime: (object.LastModified ?? new Date()).toISOString(),
        s3: { bucket: { name: bucket }, object: { key: object.Key, size: object.Size ?? 0 } },
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const events: { Records: ObjectCreatedRecord[] }[] = [];
  for (let start = 0; start < records.length; start += perEvent) {
    events.push({ Records: records.slice(start, start + perEvent) });
  }
  return events;
}
