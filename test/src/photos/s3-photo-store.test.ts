import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoStore } from '../../../cloud/src/photos/photo-store.js';
import { PhotoStoreUnavailableError } from '../../../cloud/src/photos/photo-store.js';
import { createS3Client, createS3PhotoStore } from '../../../cloud/src/photos/s3-photo-store.js';
import { BUCKET, REGION, type RunningS3, S3RVER_CREDENTIALS, startS3rver } from '../upload/s3-stack.js';

const THING = 'coffee-pi-1';
const CAPTURED_AT = new Date('2026-03-14T08:15:30.250Z');

describe('S3 photo store against s3rver', () => {
  let dir: string;
  let s3: RunningS3;
  let client: S3Client;
  let store: PhotoStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3-photo-store-'));
    s3 = await startS3rver(dir);
    client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    store = createS3PhotoStore(client);
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Puts a photo the way the device does: the key layout and its three metadata fields. */
  async function putPhoto(body: Uint8Array): Promise<{ key: string; eventId: string }> {
    const eventId = randomUUID();
    const key = photoKey(THING, CAPTURED_AT, eventId);
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: body,
        ContentType: 'image/jpeg',
        Metadata: {
          [PHOTO_METADATA.deviceId]: THING,
          [PHOTO_METADATA.eventId]: eventId,
          [PHOTO_METADATA.capturedAt]: CAPTURED_AT.toISOString(),
        },
      }),
    );
    return { key, eventId };
  }

  function missingKey(): string {
    return photoKey(THING, CAPTURED_AT, randomUUID());
  }

  it('heads a stored photo: its size, content type and metadata', async () => {
    const body = randomBytes(123_457);
    const { key, eventId } = await putPhoto(body);
    expect(await store.head(BUCKET, key)).toEqual({
      sizeBytes: 123_457,
      contentType: 'image/jpeg',
      metadata: {
        'device-id': THING,
        'event-id': eventId,
        'captured-at': '2026-03-14T08:15:30.250Z',
      },
    });
  });

  it('answers null to head and readStart for a key that does not exist', async () => {
    const key = missingKey();
    expect(await store.head(BUCKET, key)).toBeNull();
    expect(await store.readStart(BUCKET, key, 64)).toBeNull();
  });

  it('reads only the first bytes asked for', async () => {
    const body = randomBytes(200_000);
    const { key } = await putPhoto(body);
    const start = await store.readStart(BUCKET, key, 65_536);
    expect(start).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(start ?? [])).toEqual(body.subarray(0, 65_536));
  });

  it('reads a whole object that is shorter than asked for', async () => {
    const body = randomBytes(1_000);
    const { key } = await putPhoto(body);
    expect(Buffer.from((await store.readStart(BUCKET, key, 65_536)) ?? [])).toEqual(body);
  });

  it('reads no bytes from an empty object, which still exists', async () => {
    const { key } = await putPhoto(new Uint8Array());
    expect(await store.head(BUCKET, key)).toMatchObject({ sizeBytes: 0 });
    expect(await store.readStart(BUCKET, key, 64)).toEqual(new Uint8Array());
  });

  it('refuses a length that is not a positive integer', async () => {
    await expect(store.readStart(BUCKET, missingKey(), 0)).rejects.toBeInstanceOf(RangeError);
    await expect(store.readStart(BUCKET, missingKey(), 1.5)).rejects.toBeInstanceOf(RangeError);
  });

  it('deletes a photo, and deleting it again is fine', async () => {
    const { key } = await putPhoto(randomBytes(2_000));
    await store.delete(BUCKET, key);
    expect(await store.head(BUCKET, key)).toBeNull();
    expect(await store.readStart(BUCKET, key, 64)).toBeNull();
    await expect(store.delete(BUCKET, key)).resolves.toBeUndefined();
  });

  it('does not mistake a missing bucket for a missing photo when reading', async () => {
    const thrown = await store.readStart('no-such-bucket', missingKey(), 64).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PhotoStoreUnavailableError);
    expect((thrown as Error).message).toContain('NoSuchBucket');
  });
});

describe('S3 photo store with S3 down', () => {
  it('throws PhotoStoreUnavailableError naming the bucket and key, with the cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3-photo-store-down-'));
    const s3 = await startS3rver(dir);
    await s3.stop();
    // Nothing listens on the port any more; one attempt keeps the test quick.
    const client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    client.config.maxAttempts = async () => 1;
    const store = createS3PhotoStore(client);
    const key = photoKey(THING, CAPTURED_AT, randomUUID());
    try {
      for (const call of [
        () => store.head(BUCKET, key),
        () => store.readStart(BUCKET, key, 64),
        () => store.delete(BUCKET, key),
      ]) {
        const thrown = await call().catch((e: unknown) => e);
        expect(thrown).toBeInstanceOf(PhotoStoreUnavailableError);
        expect((thrown as Error).message).toContain(`s3://${BUCKET}/${key}`);
        expect((thrown as Error).message).toContain('ECONNREFUSED');
        expect((thrown as Error).cause).toBeInstanceOf(Error);
      }
    } finally {
      client.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
