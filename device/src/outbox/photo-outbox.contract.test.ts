import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { MemoryPhotoOutbox } from './memory-outbox.js';
import { OutboxPhotoMissingError, OutboxWriteError } from './outbox-errors.js';
import type { OutboxLimits, PhotoOutbox } from './outbox-port.js';
import { FilePhotoOutbox } from './photo-outbox.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');

function eventId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

interface Subject {
  outbox: PhotoOutbox;
  close(): Promise<void>;
}

const implementations: Record<string, (dir: string, limits: OutboxLimits) => Promise<Subject>> = {
  FilePhotoOutbox: async (dir, limits) => {
    const outbox = new FilePhotoOutbox({
      stateDir: join(dir, 'state'),
      limits,
      keepUploaded: false,
      deviceId: 'pi-1',
      logger: silentLogger(),
    });
    await outbox.start();
    return { outbox, close: () => outbox.stop() };
  },
  MemoryPhotoOutbox: async (_dir, limits) => ({
    outbox: new MemoryPhotoOutbox(limits),
    close: async () => {},
  }),
};

describe.each(Object.entries(implementations))('PhotoOutbox contract: %s', (_name, create) => {
  let dir: string;
  let subject: Subject | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outbox-contract-'));
  });
  afterEach(async () => {
    await subject?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(limits: OutboxLimits = { maxPhotos: 0, maxBytes: 0 }): Promise<PhotoOutbox> {
    subject = await create(dir, limits);
    return subject.outbox;
  }

  async function add(outbox: PhotoOutbox, n: number, capturedAtMs: number, bytes = 100) {
    const sourcePath = join(dir, `camera-${n}.jpg`);
    await writeFile(sourcePath, Buffer.alloc(bytes, n));
    return outbox.add({ eventId: eventId(n), deviceId: 'pi-1', capturedAtMs, sourcePath });
  }

  it('lists photos oldest capture first, eventId breaking ties', async () => {
    const outbox = await open();
    await add(outbox, 3, T0 + 10);
    await add(outbox, 2, T0 + 10);
    await add(outbox, 1, T0 + 20);
    expect(outbox.list().map((p) => p.eventId)).toEqual([eventId(2), eventId(3), eventId(1)]);
    expect(outbox.stats()).toMatchObject({ depth: 3, bytes: 300, oldestCapturedAtMs: T0 + 10, dropped: 0 });
  });

  it('returns the bytes it was given and forgets a photo once removed', async () => {
    const outbox = await open();
    const photo = await add(outbox, 1, T0, 1234);
    expect(photo).toEqual({ eventId: eventId(1), deviceId: 'pi-1', capturedAtMs: T0, bytes: 1234 });
    expect(await outbox.read(eventId(1))).toEqual(Buffer.alloc(1234, 1));
    await outbox.remove(eventId(1));
    await outbox.remove(eventId(1));
    expect(outbox.list()).toEqual([]);
    await expect(outbox.read(eventId(1))).rejects.toBeInstanceOf(OutboxPhotoMissingError);
  });

  it('takes the file over from the camera', async () => {
    const outbox = await open();
    await add(outbox, 1, T0);
    await expect(writeFile(join(dir, 'camera-1.jpg'), '', { flag: 'wx' })).resolves.toBeUndefined();
  });

  it('refuses photos it could never upload, and duplicates', async () => {
    const outbox = await open();
    const sourcePath = join(dir, 'x.jpg');
    await writeFile(sourcePath, 'jpeg');
    await expect(
      outbox.add({ eventId: 'not-a-uuid', deviceId: 'pi-1', capturedAtMs: T0, sourcePath }),
    ).rejects.toBeInstanceOf(OutboxWriteError);
    await expect(
      outbox.add({ eventId: eventId(1), deviceId: 'pi 1/..', capturedAtMs: T0, sourcePath }),
    ).rejects.toBeInstanceOf(OutboxWriteError);
    await add(outbox, 1, T0);
    await expect(add(outbox, 1, T0)).rejects.toThrow(/already in the outbox/);
    expect(outbox.stats().depth).toBe(1);
  });

  it('drops the oldest photos when maxPhotos is exceeded, counting them', async () => {
    const outbox = await open({ maxPhotos: 2, maxBytes: 0 });
    for (let n = 1; n <= 5; n += 1) await add(outbox, n, T0 + n);
    expect(outbox.list().map((p) => p.eventId)).toEqual([eventId(4), eventId(5)]);
    expect(outbox.stats()).toMatchObject({ depth: 2, dropped: 3 });
  });

  it('drops the oldest photos when maxBytes is exceeded, counting them', async () => {
    const outbox = await open({ maxPhotos: 0, maxBytes: 250 });
    await add(outbox, 1, T0 + 1, 100);
    await add(outbox, 2, T0 + 2, 100);
    await add(outbox, 3, T0 + 3, 100);
    expect(outbox.list().map((p) => p.eventId)).toEqual([eventId(2), eventId(3)]);
    expect(outbox.stats()).toMatchObject({ bytes: 200, dropped: 1 });
  });
});
