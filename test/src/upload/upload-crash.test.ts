import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  StallingProxy,
  startS3rver,
  waitFor,
} from './s3-stack.js';

const THING = 'coffee-pi-1';
const CHILD = fileURLToPath(new URL('./fixtures/upload-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function outboxFor(stateDir: string): FilePhotoOutbox {
  return new FilePhotoOutbox({
    stateDir,
    limits: { maxPhotos: 0, maxBytes: 0 },
    keepUploaded: false,
    deviceId: THING,
    logger: silentLogger(),
  });
}

describe('upload after SIGKILL', () => {
  let dir: string;
  let s3: RunningS3;
  let proxy: StallingProxy;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upload-crash-'));
    s3 = await startS3rver(join(dir, 's3'));
    proxy = await StallingProxy.start(s3.endpoint);
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await proxy.stop();
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a photo whose upload was cut by SIGKILL is uploaded after the restart', async () => {
    const stateDir = join(dir, 'state');
    const body = randomBytes(150_000);
    const eventId = randomUUID();
    const capturedAtMs = Date.now();
    const seeding = outboxFor(stateDir);
    await seeding.start();
    await writeFile(join(dir, 'camera.jpg'), body);
    await seeding.add({ eventId, deviceId: THING, capturedAtMs, sourcePath: join(dir, 'camera.jpg') });
    await seeding.stop();

    // The agent starts uploading; the PUT reaches "S3" but is never answered; then power is cut.
    proxy.stallPuts = true;
    const stalled = once(proxy, 'stalled');
    let stdout = '';
    let stderr = '';
    child = spawn(process.execPath, ['--conditions=coffee-iot-source', '--import', 'tsx', CHILD], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        STATE_DIR: stateDir,
        S3_ENDPOINT: proxy.endpoint,
        BUCKET,
        REGION,
        THING,
      },
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = once(child, 'exit');
    await Promise.race([
      stalled,
      exited.then(() => {
        throw new Error(`upload child exited early\n${stdout}\n${stderr}`);
      }),
    ]);
    expect(stdout).toContain('"event":"ready","depth":1');
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(stdout).not.toContain('"event":"uploaded"');
    expect((await readdir(join(stateDir, 'outbox'))).sort()).toEqual([`${eventId}.jpg`, `${eventId}.json`]);

    // Restart: a new worker over the same state directory finishes the job.
    proxy.stallPuts = false;
    const outbox = outboxFor(stateDir);
    await outbox.start();
    expect(outbox.list().map((p) => p.eventId)).toEqual([eventId]);
    const uploader = new S3PhotoUploader({
      bucket: BUCKET,
      region: REGION,
      endpoint: proxy.endpoint,
      devStaticCredentials: S3RVER_CREDENTIALS,
      logger: silentLogger(),
    });
    const worker = new UploadWorker({
      outbox,
      uploader,
      backoff: { minMs: 50, maxMs: 200 },
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
    });
    worker.start();
    try {
      await waitFor('the photo to be uploaded after the restart', () => outbox.stats().depth === 0);
    } finally {
      await worker.stop();
      uploader.destroy();
      await outbox.stop();
    }
    const stored = await getPhoto(s3.endpoint, photoKey(THING, new Date(capturedAtMs), eventId));
    expect(stored.body.equals(body)).toBe(true);
    expect(stored.metadata?.['event-id']).toBe(eventId);
  });
});
