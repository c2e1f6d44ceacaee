import { type CoffeeRecord, PHOTO_METADATA, photoKey, validateCoffeeRecord } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnalyzerUnavailableError, UnanalyzablePhotoError } from '../analysis/face-analyzer.js';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import type { CoffeeRepository } from '../db/coffee-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { createCoffeeRepository } from '../db/sql-coffee-repository.js';
import { openSqliteDatabase } from '../db/sqlite-database.js';
import { silentLogger } from '../logging/logger.js';
import { FakeFaceAnalyzer, faceAnalysis } from '../testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../testing/memory-photo-store.js';
import { MemoryIngestStream } from '../testing/memory-stream.js';
import { testJpeg } from '../testing/test-images.js';
import { PhotoBatchRetryError, type PhotoPipelineDeps, processPhotos } from './process-photos.js';
import type { CreatedObject } from './s3-event.js';

const BUCKET = 'coffee-photos';
const NOW = new Date('2026-11-26T08:00:05.000Z');
const JPEG = testJpeg(320, 240);

let nextEvent = 0;
function eventId(): string {
  nextEvent += 1;
  return `00000000-0000-4000-8000-${String(nextEvent).padStart(12, '0')}`;
}

describe('processPhotos', () => {
  let database: CoffeeDatabase;
  let coffees: CoffeeRepository;
  let store: MemoryPhotoStore;
  let analyzer: FakeFaceAnalyzer;
  let stream: MemoryIngestStream;
  let deps: PhotoPipelineDeps;

  beforeEach(async () => {
    database = openSqliteDatabase(':memory:');
    await migrateToLatest(database.db);
    coffees = createCoffeeRepository(database, { now: () => NOW });
    store = new MemoryPhotoStore();
    analyzer = new FakeFaceAnalyzer({ name: 'rekognition' });
    stream = new MemoryIngestStream();
    deps = {
      store,
      analyzer,
      coffees,
      stream,
      logger: silentLogger(),
      now: () => NOW,
      deletePhotoAfterAnalysis: false,
    };
  });
  afterEach(async () => {
    await database.close();
  });

  /** Puts a photo in the bucket as the agent uploads it and returns the event object for it. */
  function uploaded(
    thing = 'coffee-pi-01',
    body: Uint8Array = JPEG,
    capturedAt = '2026-11-26T07:59:58.120Z',
  ): CreatedObject {
    const id = eventId();
    const key = photoKey(thing, new Date(capturedAt), id);
    store.put(BUCKET, key, body, {
      [PHOTO_METADATA.deviceId]: thing,
      [PHOTO_METADATA.eventId]: id,
      [PHOTO_METADATA.capturedAt]: capturedAt,
    });
    return { bucket: BUCKET, key, sizeBytes: body.byteLength, eventTime: NOW.toISOString() };
  }

  it('records an analysed photo once, in the database and the stream, with the attributes the analyzer gave', async () => {
    analyzer.willReturn(
      faceAnalysis(
        { smile: true, smileConfidence: 97.5, sunglasses: false, sunglassesConfidence: 99 },
        'rekognition',
      ),
    );
    const photo = uploaded();

    const result = await processPhotos([photo], deps);

    expect(result).toEqual({ recorded: [photo.key], duplicates: [], skipped: [], streamed: 1, deleted: 0 });
    expect(analyzer.calls).toEqual([{ bucket: BUCKET, key: photo.key }]);
    const stored = await coffees.findByPhotoKey(photo.key);
    expect(stored?.streamedAt).toBe(NOW.toISOString());
    expect(stored?.record).toMatchObject({
      deviceId: 'coffee-pi-01',
      status: 'analyzed',
      reason: null,
      analyzer: 'rekognition',
      capturedAt: '2026-11-26T07:59:58.120Z',
      analyzedAt: NOW.toISOString(),
      personPresent: true,
      faceCount: 1,
      smile: true,
      smileConfidence: 97.5,
      sunglasses: false,
      beard: null,
      mustache: null,
      ageLow: null,
    });
    const [streamed] = stream.json<CoffeeRecord>();
    expect(validateCoffeeRecord(streamed)).toMatchObject({ ok: true });
    expect(streamed).toEqual(stored?.record);
    expect(stream.records[0]?.partitionKey).toBe('coffee-pi-01');
  });

  it('gives one row for a photo whose event arrives twice, without asking the analyzer again', async () => {
    const photo = uploaded();
    await processPhotos([photo], deps);
    const again = await processPhotos([photo, photo], deps);

    expect(again).toMatchObject({ recorded: [], duplicates: [photo.key, photo.key], streamed: 0 });
    expect(analyzer.calls).toHaveLength(1);
    expect(stream.records).toHaveLength(1);
    const rows = await database.db.selectFrom('coffees').select('photo_key').execute();
    expect(rows).toEqual([{ photo_key: photo.key }]);
  });

  it('skips objects outside photos/{thing}/… with the reason, and records the rest of the event', async () => {
    const photo = uploaded();
    const result = await processPhotos(
      [{ bucket: BUCKET, key: 'imports/readings.csv', sizeBytes: 10, eventTime: null }, photo],
      deps,
    );
    expect(result.recorded).toEqual([photo.key]);
    expect(result.skipped).toEqual([
      {
        key: 'imports/readings.csv',
        reason: expect.stringContaining('is not photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg'),
      },
    ]);
    // The key is in its own field; the reason does not quote it (a logger may redact the field).
    expect(result.skipped[0]?.reason).not.toContain('imports/readings.csv');
  });

  it('records a photo that is not JPEG/PNG as unanalyzable without calling the analyzer', async () => {
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00 not a photo');
    const photo = uploaded('coffee-pi-01', gif);

    await processPhotos([photo], deps);

    expect(analyzer.calls).toEqual([]);
    const stored = await coffees.findByPhotoKey(photo.key);
    expect(stored?.record).toMatchObject({
      status: 'unanalyzable',
      analyzer: null,
      personPresent: null,
      faceCount: null,
    });
    expect(stored?.record.reason).toMatch(/not a JPEG or PNG/);
    expect(stream.json<CoffeeRecord>()[0]?.status).toBe('unanalyzable');
  });

  it('records the analyzer refusing the image (e.g. InvalidImageFormatException) as unanalyzable, with its reason', async () => {
    analyzer.willThrow(
      new UnanalyzablePhotoError('InvalidImageFormatException: Request has invalid image format'),
    );
    const photo = uploaded();

    const result = await processPhotos([photo], deps);

    expect(result.recorded).toEqual([photo.key]);
    expect((await coffees.findByPhotoKey(photo.key))?.record).toMatchObject({
      status: 'unanalyzable',
      reason: 'InvalidImageFormatException: Request has invalid image format',
      analyzer: 'rekognition',
      smile: null,
    });
  });

  it('records a photo gone before analysis as missing, without retrying', async () => {
    const photo = uploaded();
    await store.delete(BUCKET, photo.key);

    await processPhotos([photo], deps);

    expect((await coffees.findByPhotoKey(photo.key))?.record).toMatchObject({
      status: 'missing',
      reason: 'object no longer exists',
      capturedAt: null,
    });
    expect(analyzer.calls).toEqual([]);
  });

  it('throws for a throttled analyzer so Lambda retries, writes nothing for that photo, and records the others', async () => {
    analyzer.willThrow(new AnalyzerUnavailableError('ThrottlingException: Rate exceeded'));
    const throttled = uploaded();
    const fine = uploaded('coffee-pi-02');

    const error = await processPhotos([throttled, fine], { ...deps, concurrency: 1 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(PhotoBatchRetryError);
    expect((error as PhotoBatchRetryError).failures.map((f) => f.key)).toEqual([throttled.key]);
    expect(await coffees.findByPhotoKey(throttled.key)).toBeNull();
    expect((await coffees.findByPhotoKey(fine.key))?.streamedAt).not.toBeNull();
    expect(stream.json<CoffeeRecord>().map((r) => r.photoKey)).toEqual([fine.key]);

    // Lambda's retry of the same event: the throttled photo is analysed, the other is not again.
    const retry = await processPhotos([throttled, fine], deps);
    expect(retry).toMatchObject({ recorded: [throttled.key], duplicates: [fine.key], streamed: 1 });
    expect(analyzer.calls.map((c) => c.key)).toEqual([throttled.key, fine.key, throttled.key]);
  });

  it('when the stream is down: keeps the row, throws, and the retry streams it without analysing again', async () => {
    stream.failNext(1, 'ServiceUnavailable');
    const photo = uploaded();

    const error = await processPhotos([photo], deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PhotoBatchRetryError);
    expect((await coffees.findByPhotoKey(photo.key))?.streamedAt).toBeNull();
    expect(stream.records).toHaveLength(0);

    const retry = await processPhotos([photo], deps);
    expect(retry).toMatchObject({ recorded: [], duplicates: [photo.key], streamed: 1 });
    expect(analyzer.calls).toHaveLength(1);
    expect(stream.json<CoffeeRecord>().map((r) => r.photoKey)).toEqual([photo.key]);
    expect((await coffees.findByPhotoKey(photo.key))?.streamedAt).toBe(NOW.toISOString());
  });

  it('writes a new photo in one transaction: its stream record is sent inside it, no separate mark', async () => {
    const calls: string[] = [];
    const counted: CoffeeRepository = {
      findByPhotoKey(key) {
        calls.push('findByPhotoKey');
        return coffees.findByPhotoKey(key);
      },
      recordCoffee(coffee) {
        calls.push('recordCoffee');
        return coffees.recordCoffee(coffee);
      },
      recordStreamedCoffee(coffee, publish, at) {
        calls.push('recordStreamedCoffee');
        return coffees.recordStreamedCoffee(coffee, publish, at);
      },
      markStreamed(keys, at) {
        calls.push('markStreamed');
        return coffees.markStreamed(keys, at);
      },
    };
    const photos = [uploaded('coffee-pi-01'), uploaded('coffee-pi-02'), uploaded('coffee-pi-03')];

    const result = await processPhotos(photos, { ...deps, coffees: counted, concurrency: 1 });

    expect(result).toMatchObject({ recorded: photos.map((p) => p.key), streamed: 3 });
    expect(calls).toEqual(Array.from({ length: 3 }, () => ['findByPhotoKey', 'recordStreamedCoffee']).flat());
    expect(stream.records.map((r) => r.partitionKey)).toEqual([
      'coffee-pi-01',
      'coffee-pi-02',
      'coffee-pi-03',
    ]);
    for (const photo of photos) {
      expect((await coffees.findByPhotoKey(photo.key))?.streamedAt).toBe(NOW.toISOString());
    }
  });

  it('sends a record once even when the repository runs its transaction again after publishing (deadlock victim, resume)', async () => {
    const rerunning: CoffeeRepository = {
      ...coffees,
      // A first attempt that published and was then rolled back, and the attempt that commits.
      recordStreamedCoffee: async (coffee, publish, at) => {
        await publish();
        return coffees.recordStreamedCoffee(coffee, publish, at);
      },
    };
    const photo = uploaded();

    await processPhotos([photo], { ...deps, coffees: rerunning });

    expect(stream.json<CoffeeRecord>().map((r) => r.photoKey)).toEqual([photo.key]);
    expect((await coffees.findByPhotoKey(photo.key))?.streamedAt).toBe(NOW.toISOString());
  });

  it('resends every unstreamed photo of a retried event in one PutRecords pass', async () => {
    const photos = [uploaded('coffee-pi-01'), uploaded('coffee-pi-02'), uploaded('coffee-pi-03')];
    stream.failNext(3);
    await expect(processPhotos(photos, deps)).rejects.toBeInstanceOf(PhotoBatchRetryError);
    const callsBefore = stream.calls;

    const retry = await processPhotos(photos, deps);

    expect(retry).toMatchObject({ duplicates: photos.map((p) => p.key), streamed: 3 });
    expect(stream.calls - callsBefore).toBe(1);
    expect(analyzer.calls).toHaveLength(3);
    expect(stream.records.map((r) => r.partitionKey).sort()).toEqual([
      'coffee-pi-01',
      'coffee-pi-02',
      'coffee-pi-03',
    ]);
  });

  describe('privacy: delete the photo after analysis', () => {
    beforeEach(() => {
      deps = { ...deps, deletePhotoAfterAnalysis: true };
    });

    it('deletes an analysed photo once its attributes are stored and streamed', async () => {
      analyzer.willReturn(faceAnalysis({ smile: true, smileConfidence: 99 }));
      const photo = uploaded();
      const result = await processPhotos([photo], deps);
      expect(result.deleted).toBe(1);
      expect(store.has(BUCKET, photo.key)).toBe(false);
      expect((await coffees.findByPhotoKey(photo.key))?.record.smile).toBe(true);
    });

    it('keeps an unanalyzable photo (nothing was learnt from it to keep instead)', async () => {
      const photo = uploaded('coffee-pi-01', new Uint8Array([1, 2, 3, 4]));
      await processPhotos([photo], deps);
      expect(store.has(BUCKET, photo.key)).toBe(true);
    });

    it('keeps the photo while the stream is down, and deletes it on the retry', async () => {
      stream.failNext(1);
      const photo = uploaded();
      await expect(processPhotos([photo], deps)).rejects.toBeInstanceOf(PhotoBatchRetryError);
      expect(store.has(BUCKET, photo.key)).toBe(true);
      await processPhotos([photo], deps);
      expect(store.has(BUCKET, photo.key)).toBe(false);
    });

    it('retries a failed delete: the event is thrown back and the retry deletes it', async () => {
      const photo = uploaded();
      const failingDelete = {
        ...store,
        head: store.head.bind(store),
        readStart: store.readStart.bind(store),
        delete: async () => {
          throw new Error('S3 DeleteObject: ServiceUnavailable');
        },
      };
      await expect(processPhotos([photo], { ...deps, store: failingDelete })).rejects.toThrow(/DeleteObject/);
      expect(store.has(BUCKET, photo.key)).toBe(true);
      const retry = await processPhotos([photo], deps);
      expect(retry).toMatchObject({ duplicates: [photo.key], deleted: 1 });
      expect(store.has(BUCKET, photo.key)).toBe(false);
    });
  });

  it('logs ids and status only, never face attributes', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    analyzer.willReturn(
      faceAnalysis({
        smile: true,
        smileConfidence: 99,
        ageLow: 25,
        ageHigh: 32,
        emotion: 'HAPPY',
        emotionConfidence: 91,
      }),
    );
    await processPhotos([uploaded()], { ...deps, logger });
    const text = lines.join('\n');
    expect(text).toContain('photo recorded');
    for (const attribute of ['smile', 'ageLow', 'HAPPY', 'emotion', 'faceCount', 'personPresent']) {
      expect(text).not.toContain(attribute);
    }
  });
});
