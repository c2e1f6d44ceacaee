import { ExponentialBackoff } from '../connection/backoff.js';
import { OutboxPhotoMissingError } from '../outbox/outbox-errors.js';
import type { OutboxPhoto, PhotoOutbox } from '../outbox/outbox-port.js';
import { type Clock, delay, type TimerHandle, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { Wakeup } from '../publisher/wakeup.js';
import { PhotoUploadError, type PhotoUploader } from './uploader-port.js';

export interface UploadWorkerOptions {
  outbox: PhotoOutbox;
  uploader: PhotoUploader;
  /** Jittered exponential backoff between failed attempts (e.g. 1 s doubling to 5 min). */
  backoff: { minMs: number; maxMs: number };
  clock: Clock;
  timers: Timers;
  logger: Logger;
  random?: () => number;
  /** How long stop() waits for an upload in progress before abandoning it. Default 2 s. */
  stopTimeoutMs?: number;
  /**
   * A photo is confirmed in S3 and gone from the outbox. `latencyMs` runs from capture to
   * confirmation (what a person at the machine waits for; it includes any outage).
   */
  onUploaded?: (eventId: string, key: string, latencyMs: number) => void;
  /** An upload attempt starts (the LEDs show an "uploading" icon). */
  onUploading?: (eventId: string) => void;
}

export interface UploadWorkerStats {
  uploaded: number;
  /** Failed attempts (each retry counts). */
  uploadFailures: number;
  /** Failures since the last success: > 0 means the head of the outbox is stuck. */
  consecutiveFailures: number;
  lastUploadAtMs: number | null;
  /** Code of the last failure (AccessDenied, ECONNREFUSED…), null after a success. */
  lastFailureCode: string | null;
}

type Attempt = 'uploaded' | 'failed' | 'skipped' | 'aborted';

const DEFAULT_STOP_TIMEOUT_MS = 2000;

/**
 * Drains the photo outbox into S3, strictly oldest first: one upload at a time, and after a
 * failure the same photo is retried after a jittered exponential backoff, so the order in S3
 * follows the order of capture and a broken network or a bad policy never becomes a hot loop.
 * A photo leaves the outbox only after S3 confirmed it (at least once: a crash between the
 * confirmation and the removal uploads it again under the same key).
 * `notify()` wakes an idle worker; it does not cut a backoff short.
 */
export class UploadWorker {
  private readonly backoff: ExponentialBackoff;
  private readonly wakeup = new Wakeup();
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private stopSignal = new AbortController();
  private current: AbortController | null = null;
  private readonly counters: UploadWorkerStats = {
    uploaded: 0,
    uploadFailures: 0,
    consecutiveFailures: 0,
    lastUploadAtMs: null,
    lastFailureCode: null,
  };

  constructor(private readonly options: UploadWorkerOptions) {
    this.backoff = new ExponentialBackoff({ ...options.backoff, stableAfterMs: 0 }, options.random);
  }

  stats(): UploadWorkerStats {
    return { ...this.counters };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.stopSignal = new AbortController();
    this.loopDone = this.loop().catch((error: unknown) => {
      // Only a programming error gets here; make it loud. Photos stay in the outbox.
      this.options.logger.fatal({ err: error }, 'upload worker stopped on an unexpected error');
    });
  }

  /** A photo was added to the outbox. */
  notify(): void {
    this.wakeup.wake();
  }

  /**
   * Stops taking photos and waits up to `stopTimeoutMs` for an upload in progress; past that the
   * upload is aborted. Anything not confirmed stays in the outbox for the next start.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.stopSignal.abort();
    this.wakeup.wake();
    const waitMs = this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.options.timers.setTimeout(() => resolve('timeout'), waitMs);
    });
    const outcome = await Promise.race([this.loopDone.then(() => 'done' as const), timeout]);
    if (timer) this.options.timers.clearTimeout(timer);
    if (outcome === 'timeout') {
      this.current?.abort();
      this.options.logger.warn(
        { waitedMs: waitMs },
        'stopping with an upload in progress; the photo stays in the outbox and is uploaded on the next start',
      );
    }
    this.running = false;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const head = this.options.outbox.list()[0];
      if (!head) {
        await this.wakeup.wait();
        continue;
      }
      const attempt = await this.attempt(head);
      if (attempt !== 'failed' || this.stopping) continue;
      const retryInMs = this.backoff.nextDelayMs();
      await delay(this.options.timers, retryInMs, this.stopSignal.signal).catch(() => undefined);
    }
  }

  private async attempt(photo: OutboxPhoto): Promise<Attempt> {
    const { outbox, uploader, clock, logger } = this.options;
    const { eventId } = photo;
    const controller = new AbortController();
    this.current = controller;
    try {
      let body: Buffer;
      try {
        body = await outbox.read(eventId);
      } catch (error) {
        // Dropped by a cap meanwhile, or lost on disk: the outbox counted and logged it.
        if (error instanceof OutboxPhotoMissingError) return 'skipped';
        return this.failed(photo, error);
      }
      const startedAtMs = clock.now();
      try {
        this.options.onUploading?.(eventId);
      } catch (error) {
        logger.error({ err: error, eventId }, 'onUploading listener failed');
      }
      let key: string;
      try {
        ({ key } = await uploader.upload({ ...photo, body }, controller.signal));
      } catch (error) {
        if (this.stopping && controller.signal.aborted) return 'aborted';
        return this.failed(photo, error);
      }
      const uploadMs = clock.now() - startedAtMs;
      try {
        await outbox.remove(eventId);
      } catch (error) {
        logger.error(
          { err: error, eventId, key },
          'photo uploaded but could not be removed from the outbox; it will be uploaded again',
        );
        return this.failed(photo, error);
      }
      const now = clock.now();
      const latencyMs = now - photo.capturedAtMs;
      this.counters.uploaded += 1;
      this.counters.lastUploadAtMs = now;
      this.counters.consecutiveFailures = 0;
      this.counters.lastFailureCode = null;
      this.backoff.reset();
      logger.info({ eventId, key, bytes: photo.bytes, uploadMs, latencyMs }, 'photo uploaded');
      try {
        this.options.onUploaded?.(eventId, key, latencyMs);
      } catch (error) {
        logger.error({ err: error, eventId }, 'onUploaded listener failed');
      }
      return 'uploaded';
    } finally {
      this.current = null;
    }
  }

  private failed(photo: OutboxPhoto, error: unknown): 'failed' {
    this.counters.uploadFailures += 1;
    this.counters.consecutiveFailures += 1;
    const upload = error instanceof PhotoUploadError ? error : undefined;
    this.counters.lastFailureCode = upload?.code ?? (error as Error)?.name ?? 'Error';
    const fields = {
      err: error,
      eventId: photo.eventId,
      code: this.counters.lastFailureCode,
      hint: upload?.hint,
      attempt: this.counters.consecutiveFailures,
    };
    if (upload?.kind === 'transient') {
      this.options.logger.warn(fields, 'photo upload failed; retrying with backoff');
    } else {
      this.options.logger.error(
        fields,
        'photo upload failed and needs a fix (see hint); retrying with backoff',
      );
    }
    return 'failed';
  }
}
