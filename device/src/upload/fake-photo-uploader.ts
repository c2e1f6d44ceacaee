import { photoKey } from '@coffee-iot/shared';
import {
  type PhotoUpload,
  PhotoUploadError,
  type PhotoUploader,
  type UploadedPhoto,
} from './uploader-port.js';

type Behaviour = 'succeed' | 'fail' | 'hang';

/**
 * The S3 port's fake for unit tests and mock mode without a local S3: stores uploads in memory.
 * Tests script failures (`failNext`, `failWith`) and hangs (`hangNext`, released by `release` or
 * the abort signal), and read the attempt log, including when each attempt started.
 */
export class FakePhotoUploader implements PhotoUploader {
  /** Uploaded objects by key. */
  readonly objects = new Map<string, PhotoUpload>();
  /** Every attempt: event id, its outcome, and the time it started (Date.now(), fake-timer aware). */
  readonly attempts: { eventId: string; atMs: number; outcome: Behaviour }[] = [];
  private script: Behaviour[] = [];
  private failure: PhotoUploadError = new PhotoUploadError('fake upload failure', {
    kind: 'transient',
    code: 'ECONNREFUSED',
    hint: 'fake',
  });
  private readonly hanging = new Set<() => void>();

  /** The next `count` attempts fail with `failWith`'s error (default: a transient ECONNREFUSED). */
  failNext(count: number): this {
    this.script.push(...Array<Behaviour>(count).fill('fail'));
    return this;
  }

  failWith(error: PhotoUploadError): this {
    this.failure = error;
    return this;
  }

  /** The next attempt never answers until `release()` or its abort signal fires. */
  hangNext(): this {
    this.script.push('hang');
    return this;
  }

  /** Lets hanging attempts complete successfully. */
  release(): void {
    for (const finish of [...this.hanging]) finish();
  }

  get uploadedEventIds(): string[] {
    return [...this.objects.values()].map((photo) => photo.eventId);
  }

  async upload(photo: PhotoUpload, signal?: AbortSignal): Promise<UploadedPhoto> {
    const behaviour = this.script.shift() ?? 'succeed';
    this.attempts.push({ eventId: photo.eventId, atMs: Date.now(), outcome: behaviour });
    if (behaviour === 'fail') throw this.failure;
    if (behaviour === 'hang') {
      await new Promise<void>((resolve, reject) => {
        const finish = () => {
          this.hanging.delete(finish);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.hanging.delete(finish);
          reject(
            new PhotoUploadError('upload aborted', {
              kind: 'transient',
              code: 'AbortError',
              hint: 'stopped',
            }),
          );
        };
        this.hanging.add(finish);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    const key = photoKey(photo.deviceId, new Date(photo.capturedAtMs), photo.eventId);
    this.objects.set(key, { ...photo, body: Buffer.from(photo.body) });
    return { key, etag: undefined };
  }
}
