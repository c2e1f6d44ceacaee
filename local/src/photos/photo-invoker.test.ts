import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AnalyzerUnavailableError,
  type CoffeeDatabase,
  type CoffeeRepository,
  createCoffeeRepository,
  type FaceAnalysis,
  type FaceAnalyzer,
  migrateToLatest,
  openSqliteDatabase,
  type PhotoEventSummary,
  type PhotoLocation,
  type PhotoPipelineDeps,
} from '@coffee-iot/cloud';
import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeFaceAnalyzer, noFaceAnalysis } from '../../../cloud/src/testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../../../cloud/src/testing/memory-photo-store.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import { testJpeg } from '../../../cloud/src/testing/test-images.js';
import { type Deferred, deferred } from '../testing/deferred.js';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { PhotoInvoker } from './photo-invoker.js';

const BUCKET = 'coffee-photos';
const NOW = new Date('2026-11-26T08:00:05.000Z');
const CAPTURED_AT = '2026-11-26T07:59:58.120Z';
const JPEG = testJpeg(320, 240);

let nextEvent = 0;
function eventId(): string {
  nextEvent += 1;
  return `00000000-0000-4000-8000-${String(nextEvent).padStart(12, '0')}`;
}

/** An S3 event exactly as s3rver emits it: the object key raw, not URL-encoded. */
function s3rverEvent(...keys: string[]): { Records: unknown[] } {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.0',
      eventSource: 'aws:s3',
      eventTime: NOW.toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: BUCKET }, object: { key, size: JPEG.byteLength } },
    })),
  };
}

describe('PhotoInvoker', () => {
  let temp: TempDir;
  let database: CoffeeDatabase;
  let coffees: CoffeeRepository;
  let store: MemoryPhotoStore;
  let analyzer: FakeFaceAnalyzer;
  let stream: MemoryIngestStream;
  let logs: ReturnType<typeof captureLogs>;
  let deadLetterPath: string;

  beforeEach(async () => {
    temp = await tempDir('photo-invoker');
    deadLetterPath = join(temp.dir, 'failed-photo-events.ndjson');
    database = openSqliteDatabase(':memory:');
    await migrateToLatest(database.db);
    coffees = createCoffeeRepository(database, { now: () => NOW });
    store = new MemoryPhotoStore();
    analyzer = new FakeFaceAnalyzer({ name: 'local' });
    stream = new MemoryIngestStream();
    logs = captureLogs();
  });

  afterEach(async () => {
    await database.close();
    await temp.remove();
  });

  function deps(overrides: Partial<PhotoPipelineDeps> = {}): PhotoPipelineDeps {
    return {
      store,
      analyzer,
      coffees,
      stream,
      logger: logs.logger,
      now: () => NOW,
      deletePhotoAfterAnalysis: false,
      ...overrides,
    };
  }

  function invoker(options: { deps?: PhotoPipelineDeps; onProcessed?: (s: PhotoEventSummary) => void } = {}) {
    return new PhotoInvoker({
      deps: options.deps ?? deps(),
      logger: logs.logger,
      deadLetterPath,
      retryDelaysMs: [1, 1],
      ...(options.onProcessed ? { onProcessed: options.onProcessed } : {}),
    });
  }

  /** Puts a photo in the bucket as the agent uploads it; returns its key. */
  function uploaded(thing = 'coffee-pi-1'): string {
    const id = eventId();
    const key = photoKey(thing, new Date(CAPTURED_AT), id);
    store.put(BUCKET, key, JPEG, {
      [PHOTO_METADATA.deviceId]: thing,
      [PHOTO_METADATA.eventId]: id,
      [PHOTO_METADATA.capturedAt]: CAPTURED_AT,
    });
    return key;
  }

  it('records a photo once, however often its event comes', async () => {
    const summaries: PhotoEventSummary[] = [];
    const photos = invoker({ onProcessed: (summary) => summaries.push(summary) });
    const key = uploaded();

    await photos.invoke(s3rverEvent(key));
    await photos.invoke(s3rverEvent(key));

    expect(summaries.map((summary) => [summary.recorded, summary.duplicates])).toEqual([
      [[key], []],
      [[], [key]],
    ]);
    expect(photos.counters).toEqual({ events: 2, recorded: 1, retries: 0, deadLettered: 0 });
    expect((await coffees.findByPhotoKey(key))?.record).toMatchObject({
      deviceId: 'coffee-pi-1',
      analyzer: 'local',
    });
    expect(stream.records).toHaveLength(1);
    expect(analyzer.calls).toEqual([{ bucket: BUCKET, key }]);
  });

  it('retries a failing event and counts the retries', async () => {
    analyzer.willThrow(new AnalyzerUnavailableError('busy')).willThrow(new AnalyzerUnavailableError('busy'));
    const photos = invoker();
    const key = uploaded();

    await photos.invoke(s3rverEvent(key));

    expect(photos.counters).toEqual({ events: 1, recorded: 1, retries: 2, deadLettered: 0 });
    expect(analyzer.calls).toHaveLength(3);
    expect(
      logs.lines.filter((line) => line.msg === 'photo event failed; retrying').map((line) => line.attempt),
    ).toEqual([1, 2]);
    await expect(readFile(deadLetterPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes an event that fails every attempt to the dead-letter file, one JSON line naming the error', async () => {
    const photos = invoker();
    const key = uploaded();
    store.unavailable = true;

    await photos.invoke(s3rverEvent(key));

    expect(photos.counters).toEqual({ events: 1, recorded: 0, retries: 2, deadLettered: 1 });
    const lines = (await readFile(deadLetterPath, 'utf8')).split('\n');
    expect(lines).toHaveLength(2); // one line, newline-terminated
    expect(lines[1]).toBe('');
    const entry = JSON.parse(lines[0] ?? '') as {
      attempts: number;
      error: string;
      failedAt: string;
      event: { Records: { s3: { object: { key: string } } }[] };
    };
    expect(entry.attempts).toBe(3);
    expect(entry.error).toMatch(/^PhotoBatchRetryError: /);
    expect(entry.error).toContain(key);
    expect(entry.event.Records[0]?.s3.object.key).toBe(key);
    expect(Number.isNaN(Date.parse(entry.failedAt))).toBe(false);
    expect(logs.lines.at(-1)).toMatchObject({ level: LEVEL.error, attempts: 3, deadLetter: deadLetterPath });
  });

  it('appends each dead-lettered event as its own line', async () => {
    const photos = invoker();
    const keys = [uploaded(), uploaded()];
    store.unavailable = true;

    await Promise.all(keys.map((key) => photos.invoke(s3rverEvent(key))));

    const entries = (await readFile(deadLetterPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: { Records: { s3: { object: { key: string } } }[] } });
    expect(entries.map((entry) => entry.event.Records[0]?.s3.object.key)).toEqual(keys);
  });

  it('runs events one at a time, in the order they came', async () => {
    const log: string[] = [];
    const gates = new Map<string, Deferred<void>>();
    const gated: FaceAnalyzer = {
      name: 'gated',
      async analyze(photo: PhotoLocation): Promise<FaceAnalysis> {
        log.push(`start ${photo.key}`);
        await gates.get(photo.key)?.promise;
        log.push(`end ${photo.key}`);
        return noFaceAnalysis('gated');
      },
    };
    const photos = invoker({ deps: deps({ analyzer: gated }) });
    const [first, second] = [uploaded(), uploaded()] as [string, string];
    gates.set(first, deferred());
    gates.set(second, deferred());

    const runs = [photos.invoke(s3rverEvent(first)), photos.invoke(s3rverEvent(second))];
    await vi.waitFor(() => expect(log).toEqual([`start ${first}`]));
    expect(photos.queued).toBe(2);
    gates.get(second)?.resolve(); // the second waits for the first regardless
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([`start ${first}`]);

    gates.get(first)?.resolve();
    await Promise.all(runs);

    expect(log).toEqual([`start ${first}`, `end ${first}`, `start ${second}`, `end ${second}`]);
    expect(photos.queued).toBe(0);
    expect(photos.counters.recorded).toBe(2);
  });

  it('encodes raw s3rver keys as S3 does, so the handler decodes spaces, + and % right', async () => {
    const summaries: PhotoEventSummary[] = [];
    const photos = invoker({ onProcessed: (summary) => summaries.push(summary) });
    const raw = 'uploads/my coffee+milk 100%.jpg';

    await photos.invoke(s3rverEvent(raw));

    // Handed on raw, '%' would not decode and '+' would become a space.
    expect(summaries).toEqual([
      expect.objectContaining({ ignoredRecords: 0, skipped: [{ key: raw, reason: expect.any(String) }] }),
    ]);
  });

  it('goes on with the next events when the dead-letter file cannot be written', async () => {
    const photos = new PhotoInvoker({
      deps: deps(),
      logger: logs.logger,
      deadLetterPath: join(temp.dir, 'no-such-dir', 'failed.ndjson'),
      retryDelaysMs: [],
    });
    const failing = uploaded('coffee-pi-1');
    const fine = uploaded('coffee-pi-2');
    analyzer.willThrow(new AnalyzerUnavailableError('busy'));

    const lost = photos.invoke(s3rverEvent(failing));
    const next = photos.invoke(s3rverEvent(fine));

    // The caller hears of the event it could not keep…
    await expect(lost).rejects.toMatchObject({ code: 'ENOENT' });
    // …and the events behind it still run.
    await expect(next).resolves.toBeUndefined();
    expect(await coffees.findByPhotoKey(fine)).not.toBeNull();
    await expect(photos.stop()).resolves.toBeUndefined();
  });

  it('on stop() waits for queued events and dead-letters a failing one without retrying it', async () => {
    const photos = new PhotoInvoker({
      deps: deps(),
      logger: logs.logger,
      deadLetterPath,
      retryDelaysMs: [60_000, 60_000],
    });
    const key = uploaded();
    const fine = uploaded();
    analyzer.willThrow(new AnalyzerUnavailableError('busy'));
    void photos.invoke(s3rverEvent(key));
    void photos.invoke(s3rverEvent(fine));

    await photos.stop();

    expect(photos.counters).toEqual({ events: 2, recorded: 1, retries: 0, deadLettered: 1 });
    const entry = JSON.parse(await readFile(deadLetterPath, 'utf8')) as { attempts: number };
    expect(entry.attempts).toBe(1);
    expect(await coffees.findByPhotoKey(fine)).not.toBeNull();
  });
});
