import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../ports/logger.js';
import type { OutboxLimits } from './outbox-port.js';
import { FilePhotoOutbox } from './photo-outbox.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');

function eventId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

describe('FilePhotoOutbox', () => {
  let dir: string;
  let stateDir: string;
  let outboxDir: string;
  let logs: LogLine[];
  let opened: FilePhotoOutbox[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    stateDir = join(dir, 'state');
    outboxDir = join(stateDir, 'outbox');
    logs = [];
    opened = [];
  });
  afterEach(async () => {
    for (const outbox of opened) await outbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(
    options: { limits?: OutboxLimits; keepUploaded?: boolean } = {},
  ): Promise<FilePhotoOutbox> {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    const outbox = new FilePhotoOutbox({
      stateDir,
      limits: options.limits ?? { maxPhotos: 0, maxBytes: 0 },
      keepUploaded: options.keepUploaded ?? false,
      deviceId: 'pi-1',
      logger: createLogger('debug', sink),
    });
    await outbox.start();
    opened.push(outbox);
    return outbox;
  }

  async function add(outbox: FilePhotoOutbox, n: number, capturedAtMs = T0 + n, bytes = 100) {
    const sourcePath = join(dir, `camera-${n}.jpg`);
    await writeFile(sourcePath, Buffer.alloc(bytes, n));
    return outbox.add({ eventId: eventId(n), deviceId: 'pi-1', capturedAtMs, sourcePath });
  }

  const logsMatching = (text: string) => logs.filter((line) => line.msg.includes(text));

  it('stores each photo as {eventId}.jpg beside its metadata {eventId}.json', async () => {
    const outbox = await open();
    await add(outbox, 1, T0, 321);
    expect((await readdir(outboxDir)).sort()).toEqual([`${eventId(1)}.jpg`, `${eventId(1)}.json`]);
    expect(JSON.parse(await readFile(join(outboxDir, `${eventId(1)}.json`), 'utf8'))).toEqual({
      v: 1,
      eventId: eventId(1),
      deviceId: 'pi-1',
      capturedAtMs: T0,
      capturedAt: '2026-11-26T10:00:00.000Z',
      bytes: 321,
    });
  });

  it('keeps its photos and its drop count across a restart', async () => {
    const first = await open({ limits: { maxPhotos: 2, maxBytes: 0 } });
    for (let n = 1; n <= 3; n += 1) await add(first, n);
    await first.stop();

    const second = await open({ limits: { maxPhotos: 2, maxBytes: 0 } });
    expect(second.list().map((p) => p.eventId)).toEqual([eventId(2), eventId(3)]);
    expect(second.stats()).toMatchObject({ depth: 2, bytes: 200, oldestCapturedAtMs: T0 + 2, dropped: 1 });
  });

  it('logs every dropped photo by eventId', async () => {
    const outbox = await open({ limits: { maxPhotos: 1, maxBytes: 0 } });
    await add(outbox, 1);
    await add(outbox, 2);
    const [drop] = logsMatching('outbox full');
    expect(drop).toMatchObject({ count: 1, eventIds: [eventId(1)], droppedTotal: 1 });
    expect(await readdir(outboxDir)).not.toContain(`${eventId(1)}.jpg`);
  });

  it('applies lowered caps at start, dropping the oldest', async () => {
    const first = await open();
    for (let n = 1; n <= 4; n += 1) await add(first, n);
    await first.stop();
    const second = await open({ limits: { maxPhotos: 1, maxBytes: 0 } });
    expect(second.list().map((p) => p.eventId)).toEqual([eventId(4)]);
    expect(second.stats().dropped).toBe(3);
  });

  it('moves uploaded photos to sent/ when keepUploaded is set', async () => {
    const outbox = await open({ keepUploaded: true });
    await add(outbox, 1);
    await outbox.remove(eventId(1));
    expect(outbox.list()).toEqual([]);
    expect((await readdir(join(outboxDir, 'sent'))).sort()).toEqual([
      `${eventId(1)}.jpg`,
      `${eventId(1)}.json`,
    ]);
  });

  describe('recovery after a crash', () => {
    it('adopts a photo whose metadata was never written, dating it by the file', async () => {
      const first = await open();
      await first.stop();
      const capturedAtMs = T0 - 60_000;
      await writeFile(join(outboxDir, `${eventId(7)}.jpg`), Buffer.alloc(50, 7));
      await utimes(join(outboxDir, `${eventId(7)}.jpg`), capturedAtMs / 1000, capturedAtMs / 1000);

      const outbox = await open();
      expect(outbox.list()).toEqual([{ eventId: eventId(7), deviceId: 'pi-1', capturedAtMs, bytes: 50 }]);
      expect(outbox.stats()).toMatchObject({ recovered: 1, dropped: 0 });
      expect(logsMatching('photo without metadata adopted')[0]).toMatchObject({ eventId: eventId(7) });
      // The rebuilt metadata is durable: a later restart does not count it again.
      await outbox.stop();
      expect((await open()).stats()).toMatchObject({ depth: 1, recovered: 1 });
    });

    it('deletes unfinished writes with a log line', async () => {
      await (await open()).stop();
      await writeFile(join(outboxDir, `${eventId(1)}.json.tmp`), '{"v":1,"eventI');
      await writeFile(join(outboxDir, `${eventId(2)}.jpg.tmp`), 'partial');
      const outbox = await open();
      expect(await readdir(outboxDir)).toEqual([]);
      expect(outbox.stats().depth).toBe(0);
      expect(logsMatching('unfinished write').map((l) => l.file)).toEqual(
        expect.arrayContaining([`${eventId(1)}.json.tmp`, `${eventId(2)}.jpg.tmp`]),
      );
    });

    it('counts a photo whose file disappeared as dropped', async () => {
      const first = await open();
      await add(first, 1);
      await first.stop();
      await rm(join(outboxDir, `${eventId(1)}.jpg`));
      const outbox = await open();
      expect(outbox.stats()).toMatchObject({ depth: 0, dropped: 1 });
      expect(logsMatching('photo file missing')[0]).toMatchObject({ eventId: eventId(1) });
    });

    it('quarantines unreadable metadata and keeps the photo', async () => {
      await (await open()).stop();
      await writeFile(join(outboxDir, `${eventId(1)}.jpg`), 'jpeg');
      await writeFile(join(outboxDir, `${eventId(1)}.json`), 'garbage');
      const outbox = await open();
      expect(outbox.list().map((p) => p.eventId)).toEqual([eventId(1)]);
      expect(await readdir(join(outboxDir, 'quarantine'))).toEqual([`${eventId(1)}.json`]);
      expect(outbox.stats()).toMatchObject({ quarantined: 1, recovered: 1, dropped: 0 });
    });

    it('quarantines an empty photo instead of deleting it', async () => {
      await (await open()).stop();
      await writeFile(join(outboxDir, `${eventId(1)}.jpg`), '');
      const outbox = await open();
      expect(outbox.stats()).toMatchObject({ depth: 0, quarantined: 1, dropped: 1 });
      expect(await readdir(join(outboxDir, 'quarantine'))).toEqual([`${eventId(1)}.jpg`]);
      expect(logsMatching('will not be uploaded')[0]).toMatchObject({ reason: 'empty photo file' });
    });

    it('leaves unknown files alone', async () => {
      await (await open()).stop();
      await writeFile(join(outboxDir, 'notes.txt'), 'hello');
      const outbox = await open();
      expect(outbox.stats().depth).toBe(0);
      expect(await readdir(outboxDir)).toContain('notes.txt');
      expect(logsMatching('unknown file')[0]).toMatchObject({ file: 'notes.txt' });
    });
  });

  it('counts a listed photo whose file vanished as dropped when it is read', async () => {
    const outbox = await open();
    await add(outbox, 1);
    await rm(join(outboxDir, `${eventId(1)}.jpg`));
    await expect(outbox.read(eventId(1))).rejects.toThrow(/vanished/);
    expect(outbox.stats()).toMatchObject({ depth: 0, dropped: 1 });
  });

  it('refuses an empty camera file', async () => {
    const outbox = await open();
    const sourcePath = join(dir, 'empty.jpg');
    await writeFile(sourcePath, '');
    await expect(
      outbox.add({ eventId: eventId(1), deviceId: 'pi-1', capturedAtMs: T0, sourcePath }),
    ).rejects.toThrow(/empty/);
    expect(await readdir(outboxDir)).toEqual([]);
  });
  it('counts a photo write the storage refuses by cause, logs the episode once with the path, and stores again', async () => {
    const outbox = await open();
    // The metadata's temp file cannot be created: a write refused by the filesystem (EISDIR).
    const blocked = join(outboxDir, `${eventId(1)}.json.tmp`);
    await mkdir(blocked);
    await expect(add(outbox, 1)).rejects.toThrow(/could not be written/);
    await mkdir(join(outboxDir, `${eventId(2)}.json.tmp`));
    await expect(add(outbox, 2)).rejects.toThrow();
    expect(outbox.stats().unstored).toEqual({ ENOSPC: 0, EIO: 0, EROFS: 0, other: 2 });
    expect(logsMatching('photos cannot be stored')).toEqual([
      expect.objectContaining({ path: outboxDir, cause: 'other', id: eventId(1) }),
    ]);

    await add(outbox, 3);
    expect(logsMatching('2 photos could not be stored: other')).toEqual([
      expect.objectContaining({ path: outboxDir, ids: [eventId(1), eventId(2)] }),
    ]);
  });
});
