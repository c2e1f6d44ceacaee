import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '@coffee-iot/cloud';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_PHOTO_BUCKET, type LocalS3, startLocalS3 } from '../s3/local-s3.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { photosAsEvents } from './missed-photos.js';

describe('photosAsEvents on local S3 (s3rver)', () => {
  let temp: TempDir;
  let s3: LocalS3;
  let client: S3Client;

  beforeEach(async () => {
    temp = await tempDir('missed-photos');
    s3 = await startLocalS3(temp.dir, 0);
    client = createS3Client({
      endpoint: s3.endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });

  afterEach(async () => {
    client.destroy();
    await s3.stop();
    await temp.remove();
  });

  async function put(key: string, bytes = 3): Promise<void> {
    await client.send(
      new PutObjectCommand({ Bucket: LOCAL_PHOTO_BUCKET, Key: key, Body: new Uint8Array(bytes).fill(0xff) }),
    );
  }

  it('gives nothing for a bucket without photos', async () => {
    await put('exports/2026-03-05/telemetry.csv');

    expect(await photosAsEvents(client, LOCAL_PHOTO_BUCKET)).toEqual([]);
  });

  it('turns every object under photos/ into an ObjectCreated record, in groups of perEvent', async () => {
    const photos = [1, 2, 3, 4, 5].map(
      (n) => `photos/coffee-pi-${n}/2026/03/05/00000000-0000-4000-8000-00000000000${n}.jpg`,
    );
    for (const [index, key] of photos.entries()) await put(key, 10 + index);
    await put('notes/readme.txt');
    await put('photosX/not-a-photo.jpg');

    const events = await photosAsEvents(client, LOCAL_PHOTO_BUCKET, 2);

    expect(events.map((event) => event.Records.length)).toEqual([2, 2, 1]);
    const records = events.flatMap((event) => event.Records);
    expect(records.map((record) => record.s3.object.key)).toEqual(photos); // S3 lists keys in order
    expect(records.map((record) => record.s3.object.size)).toEqual([10, 11, 12, 13, 14]);
    for (const record of records) {
      expect(record.eventName).toBe('ObjectCreated:Put');
      expect(record.s3.bucket.name).toBe(LOCAL_PHOTO_BUCKET);
      expect(Number.isNaN(Date.parse(record.eventTime))).toBe(false);
    }
  });

  it('puts every photo in one event when there are fewer than perEvent', async () => {
    await put('photos/coffee-pi-1/2026/03/05/a.jpg');
    await put('photos/coffee-pi-1/2026/03/05/b.jpg');

    const events = await photosAsEvents(client, LOCAL_PHOTO_BUCKET);

    expect(events).toHaveLength(1);
    expect(events[0]?.Records.map((record) => record.s3.object.key)).toEqual([
      'photos/coffee-pi-1/2026/03/05/a.jpg',
      'photos/coffee-pi-1/2026/03/05/b.jpg',
    ]);
  });
});
