import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { photoKey } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../device/src/ports/logger.js';
import { S3PhotoUploader } from '../../../device/src/upload/s3-photo-uploader.js';
import { PhotoUploadError } from '../../../device/src/upload/uploader-port.js';
import {
  BUCKET,
  getPhoto,
  md5,
  REGION,
  type RunningS3,
  S3RVER_CREDENTIALS,
  StallingProxy,
  startS3rver,
} from './s3-stack.js';

const THING = 'coffee-pi-1';

describe('S3PhotoUploader against s3rver', () => {
  let dir: string;
  let s3: RunningS3;
  let proxy: StallingProxy;
  const uploaders: S3PhotoUploader[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3-uploader-'));
    s3 = await startS3rver(join(dir, 's3'));
    proxy = await StallingProxy.start(s3.endpoint);
  });
  afterEach(() => {
    for (const uploader of uploaders.splice(0)) uploader.destroy();
  });
  afterAll(async () => {
    await proxy?.stop();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function uploader(endpoint: string, bucket = BUCKET): S3PhotoUploader {
    const created = new S3PhotoUploader({
      bucket,
      region: REGION,
      endpoint,
      devStaticCredentials: S3RVER_CREDENTIALS,
      logger: silentLogger(),
    });
    uploaders.push(created);
    return created;
  }

  it('puts the photo under its key with content type, metadata and the exact bytes', async () => {
    const body = randomBytes(200_000);
    const eventId = randomUUID();
    const capturedAtMs = Date.parse('2026-11-26T23:59:59.500Z');

    const result = await uploader(s3.endpoint).upload({ eventId, deviceId: THING, capturedAtMs, body });

    expect(result.key).toBe(`photos/${THING}/2026/11/26/${eventId}.jpg`);
    expect(result.key).toBe(photoKey(THING, new Date(capturedAtMs), eventId));
    const stored = await getPhoto(s3.endpoint, result.key);
    expect(stored.contentType).toBe('image/jpeg');
    expect(stored.metadata).toEqual({
      'device-id': THING,
      'event-id': eventId,
      'captured-at': '2026-11-26T23:59:59.500Z',
    });
    expect(stored.body.equals(body)).toBe(true);
    expect(stored.etag).toBe(`"${md5(body, 'hex')}"`);
    expect(result.etag).toBe(stored.etag);
  });

  it('sends a Content-MD5 of the body and a plain (not aws-chunked) body', async () => {
    const body = randomBytes(10_000);
    await uploader(proxy.endpoint).upload({
      eventId: randomUUID(),
      deviceId: THING,
      capturedAtMs: Date.now(),
      body,
    });
    const put = proxy.seen.findLast((r) => r.method === 'PUT');
    expect(put?.headers['content-md5']).toBe(md5(body, 'base64'));
    expect(put?.headers['content-length']).toBe(String(body.length));
    expect(put?.headers['content-encoding']).toBeUndefined();
    expect(put?.headers['x-amz-content-sha256']).not.toMatch(/STREAMING/);
    expect(put?.url).toMatch(new RegExp(`^/${BUCKET}/photos/`));
  });

  it('reports a missing bucket as a permanent failure saying what to fix', async () => {
    const error = await uploader(s3.endpoint, 'no-such-bucket')
      .upload({ eventId: randomUUID(), deviceId: THING, capturedAtMs: Date.now(), body: randomBytes(10) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhotoUploadError);
    expect(error).toMatchObject({ kind: 'permanent', code: 'NoSuchBucket', status: 404 });
    expect((error as PhotoUploadError).hint).toMatch(/upload\.bucket/);
  });

  it('reports a server that is down as a transient failure', async () => {
    const down = await startS3rver(join(dir, 'down'));
    await down.stop();
    const error = await uploader(down.endpoint)
      .upload({ eventId: randomUUID(), deviceId: THING, capturedAtMs: Date.now(), body: randomBytes(10) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PhotoUploadError', kind: 'transient', code: 'ECONNREFUSED' });
  });
});
