import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryPhotoOutbox } from '../outbox/memory-outbox.js';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { FakePhotoUploader } from './fake-photo-uploader.js';
import { UploadWorker } from './upload-worker.js';
import { PhotoUploadError } from './uploader-port.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const BACKOFF = { minMs: 1000, maxMs: 8000 };

function eventId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

describe('UploadWorker', () => {
  let outbox: MemoryPhotoOutbox;
  let uploader: FakePhotoUploader;
  let uploaded: { eventId: string; key: string; latencyMs: number }[];
  let worker: UploadWorker;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    outbox = new MemoryPhotoOutbox();
    uploader = new FakePhotoUploader();
    uploaded = [];
    worker = new UploadWorker({
      outbox,
      uploader,
      backoff: BACKOFF,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
      // Jitter pinned to the top of the range, so the delays are exact: 1 s, 2 s, 4 s, 8 s, 8 s…
      random: () => 1,
      stopTimeoutMs: 500,
      onUploaded: (id, key, latencyMs) => uploaded.push({ eventId: id, key, latencyMs }),
    });
  });
  afterEach(async () => {
    await worker.stop();
    vi.useRealTimers();
  });

  function addPhoto(n: number, capturedAtMs = T0 + n): void {
    outbox.addBytes({ eventId: eventId(n), deviceId: 'pi-1', capturedAtMs }, Buffer.from(`jpeg ${n}`));
  }

  it('uploads the backlog oldest first and removes each photo only after its upload', async () => {
    addPhoto(3, T0 + 30);
    addPhoto(1, T0 + 10);
    addPhoto(2, T0 + 20);
    worker.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(uploader.attempts.map((a) => a.eventId)).toEqual([eventId(1), eventId(2), eventId(3)]);
    expect(outbox.removed).toEqual([eventId(1), eventId(2), eventId(3)]);
    expect(outbox.stats().depth).toBe(0);
    expect(uploaded.map((u) => u.key)).toEqual([
      `photos/pi-1/2026/11/26/${eventId(1)}.jpg`,
      `photos/pi-1/2026/11/26/${eventId(2)}.jpg`,
      `photos/pi-1/2026/11/26/${eventId(3)}.jpg`,
    ]);
    expect(worker.stats()).toMatchObject({ uploaded: 3, uploadFailures: 0, lastUploadAtMs: T0 });
  });

  it('announces each upload attempt before it starts (the LEDs show "uploading")', async () => {
    const events: string[] = [];
    await worker.stop();
    worker = new UploadWorker({
      outbox,
      uploader,
      backoff: BACKOFF,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
      onUploading: (id) => events.push(`uploading ${id} after ${uploader.attempts.length} attempts`),
      onUploaded: (id) => events.push(`uploaded ${id}`),
    });
    addPhoto(1);
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual([`uploading ${eventId(1)} after 0 attempts`, `uploaded ${eventId(1)}`]);
  });

  it('sleeps while the outbox is empty and wakes on notify()', async () => {
    worker.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(uploader.attempts).toHaveLength(0);

    addPhoto(1, Date.now());
    worker.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(uploader.uploadedEventIds).toEqual([eventId(1)]);
    expect(uploaded[0]?.latencyMs).toBe(0);
  });

  it('retries the same photo with exponential backoff, keeping the order, and resets after a success', async () => {
    addPhoto(1);
    addPhoto(2);
    uploader.failNext(4);
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(uploader.attempts).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(20_000);
    const attempts = uploader.attempts;
    expect(attempts.map((a) => a.eventId)).toEqual([
      eventId(1),
      eventId(1),
      eventId(1),
      eventId(1),
      eventId(1),
      eventId(2),
    ]);
    const gaps = attempts.slice(1, 5).map((a, i) => a.atMs - (attempts[i]?.atMs ?? 0));
    expect(gaps).toEqual([1000, 2000, 4000, 8000]);
    expect(worker.stats()).toMatchObject({ uploaded: 2, uploadFailures: 4, consecutiveFailures: 0 });

    // A new failure after a success starts again from the minimum delay.
    addPhoto(3);
    uploader.failNext(1);
    worker.notify();
    await vi.advanceTimersByTimeAsync(0);
    const failedAt = Date.now();
    await vi.advanceTimersByTimeAsync(999);
    expect(outbox.stats().depth).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(outbox.stats().depth).toBe(0);
    expect(uploader.attempts.at(-1)?.atMs).toBe(failedAt + 1000);
  });

  it('does not cut a backoff short when a new photo arrives (no hammering a broken service)', async () => {
    addPhoto(1);
    uploader.failNext(1);
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    addPhoto(2);
    worker.notify();
    await vi.advanceTimersByTimeAsync(500);
    expect(uploader.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(uploader.uploadedEventIds).toEqual([eventId(1), eventId(2)]);
  });

  it('retries permanent failures too, counting each, until the configuration is fixed', async () => {
    uploader
      .failWith(
        new PhotoUploadError('denied', {
          kind: 'permanent',
          code: 'AccessDenied',
          status: 403,
          hint: 'fix it',
        }),
      )
      .failNext(2);
    addPhoto(1);
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(worker.stats()).toMatchObject({ uploadFailures: 1, lastFailureCode: 'AccessDenied' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(worker.stats()).toMatchObject({ uploaded: 1, uploadFailures: 2, lastFailureCode: null });
  });

  it('skips a photo that vanished from the outbox without a backoff', async () => {
    addPhoto(1);
    addPhoto(2);
    const read = outbox.read.bind(outbox);
    vi.spyOn(outbox, 'read').mockImplementationOnce(async (id) => {
      await outbox.remove(id);
      return read(id);
    });
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(uploader.uploadedEventIds).toEqual([eventId(2)]);
    expect(worker.stats().uploadFailures).toBe(0);
  });

  it('stop() waits for an upload in progress', async () => {
    addPhoto(1);
    uploader.hangNext();
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopped = worker.stop();
    await vi.advanceTimersByTimeAsync(100);
    uploader.release();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    expect(outbox.stats().depth).toBe(0);
    expect(worker.stats().uploaded).toBe(1);
  });

  it('stop() gives up on a hanging upload after stopTimeoutMs and leaves the photo in the outbox', async () => {
    addPhoto(1);
    uploader.hangNext();
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    let done = false;
    const stopped = worker.stop().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    expect(outbox.list().map((p) => p.eventId)).toEqual([eventId(1)]);
    expect(worker.stats()).toMatchObject({ uploaded: 0, uploadFailures: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() during a backoff returns at once and leaves no timer behind', async () => {
    addPhoto(1);
    uploader.failNext(1);
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    await worker.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(outbox.stats().depth).toBe(1);

    // And it can start again.
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.stats().depth).toBe(0);
  });

  it('a throwing onUploaded listener does not stop the worker', async () => {
    const throwing = new UploadWorker({
      outbox,
      uploader,
      backoff: BACKOFF,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
      onUploaded: () => {
        throw new Error('listener bug');
      },
    });
    addPhoto(1);
    addPhoto(2);
    throwing.start();
    await vi.advanceTimersByTimeAsync(0);
    await throwing.stop();
    expect(uploader.uploadedEventIds).toEqual([eventId(1), eventId(2)]);
  });
});
