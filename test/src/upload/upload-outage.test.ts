import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { photoKey } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilePhotoOutbox } from '../../../device/src/outbox/photo-outbox.js';
import { systemClock, systemTimers } from '../../../device/src/ports/clock.js';
import { silentLogger } from '../../../device/src/ports/logger.js';
import { S3PhotoUploader } from '../../../device/src/upload/s3-photo-uploader.js';
import { UploadWorker } from '../../../device/src/upload/upload-worker.js';
import {
  BUCKET,
  getPhoto,
  REGION,
  type RunningS3,
  S3RVER_CREDENTIALS,
  startS3rver,
  waitFor,
} from './s3-stack.js';

const THING = 'coffee-pi-1';
const PHOTOS = 6;

describe('upload worker through an S3 outage', () => {
  let dir: string;
  let s3: RunningS3 | undefined;
  let outbox: FilePhotoOutbox;
  let uploader: S3PhotoUploader;
  let worker: UploadWorker;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upload-outage-'));
  });
  afterEach(async () => {
    await worker?.stop();
    uploader?.destroy();
    await outbox?.stop();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every photo in the outbox while S3 is down and uploads them all, in order, when it returns', async () => {
    // Learn a free port, then take the server away: the device sees "connection refused".
    const first = await startS3rver(join(dir, 's3'));
    const { endpoint, port } = first;
    await first.stop();

    outbox = new FilePhotoOutbox({
      stateDir: join(dir, 'state'),
      limits: { maxPhotos: 100, maxBytes: 0 },
      keepUploaded: false,
      deviceId: THING,
      logger: silentLogger(),
    });
    await outbox.start();
    uploader = new S3PhotoUploader({
      bucket: BUCKET,
      region: REGION,
      endpoint,
      devStaticCredentials: S3RVER_CREDENTIALS,
      logger: silentLogger(),
    });
    const uploaded: string[] = [];
    worker = new UploadWorker({
      outbox,
      uploader,
      backoff: { minMs: 50, maxMs: 200 },
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
      onUploaded: (eventId) => uploaded.push(eventId),
    });
    worker.start();

    const photos: { eventId: string; capturedAtMs: number; body: Buffer }[] = [];
    const t0 = Date.now();
    for (let i = 0; i < PHOTOS; i += 1) {
      const photo = { eventId: randomUUID(), capturedAtMs: t0 + i, body: randomBytes(50_000 + i) };
      const sourcePath = join(dir, `camera-${i}.jpg`);
      await writeFile(sourcePath, photo.body);
      await outbox.add({
        eventId: photo.eventId,
        deviceId: THING,
        capturedAtMs: photo.capturedAtMs,
        sourcePath,
      });
      worker.notify();
      photos.push(photo);
    }

    await waitFor('several failed attempts', () => worker.stats().uploadFailures >= 3);
    expect(outbox.stats()).toMatchObject({ depth: PHOTOS, dropped: 0 });
    expect(uploaded).toEqual([]);

    s3 = await startS3rver(join(dir, 's3'), port);
    await waitFor('the outbox to drain', () => outbox.stats().depth === 0);

    expect(uploaded).toEqual(photos.map((p) => p.eventId));
    for (const photo of photos) {
      const stored = await getPhoto(
        s3.endpoint,
        photoKey(THING, new Date(photo.capturedAtMs), photo.eventId),
      );
      expect(stored.body.equals(photo.body)).toBe(true);
    }
    expect(worker.stats()).toMatchObject({ uploaded: PHOTOS, consecutiveFailures: 0 });
    expect(outbox.stats()).toMatchObject({ depth: 0, dropped: 0 });
    expect((await readdir(join(dir, 'state', 'outbox'))).filter((f) => f !== 'counters.json')).toEqual([]);
  });
});
