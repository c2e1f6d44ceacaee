import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import {
  type CoffeeRepository,
  DatabaseResumingError,
  DatabaseUnavailableError,
} from '../db/coffee-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { createCoffeeRepository } from '../db/sql-coffee-repository.js';
import { openSqliteDatabase } from '../db/sqlite-database.js';
import { silentLogger } from '../logging/logger.js';
import { FakeFaceAnalyzer, faceAnalysis } from '../testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../testing/memory-photo-store.js';
import { MemoryIngestStream } from '../testing/memory-stream.js';
import { testJpeg } from '../testing/test-images.js';
import { PhotoBatchRetryError, type PhotoPipelineDeps, processPhotos } from './process-photos.js';
import { forInvocation } from './resume-retry.js';
import type { CreatedObject } from './s3-event.js';

const BUCKET = 'coffee-photos';
const START = new Date('2026-11-26T08:00:05.000Z');
// The photo Lambda's timeout (infra/src/constructs/photos.ts).
const LAMBDA_TIMEOUT_MS = 60_000;

/** A database paused at 0 ACU: every call refuses with DatabaseResumingError until `awakeAt`. */
function pausedUntil(coffees: CoffeeRepository, awakeAt: number, calls: string[]): CoffeeRepository {
  const gate = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    calls.push(name);
    if (Date.now() < awakeAt) {
      return Promise.reject(new DatabaseResumingError(`${name}: the database is resuming from auto-pause`));
    }
    return run();
  };
  return {
    findByPhotoKey: (key) => gate('findByPhotoKey', () => coffees.findByPhotoKey(key)),
    recordCoffee: (coffee) => gate('recordCoffee', () => coffees.recordCoffee(coffee)),
    recordStreamedCoffee: (coffee, publish, at) =>
      gate('recordStreamedCoffee', () => coffees.recordStreamedCoffee(coffee, publish, at)),
    markStreamed: (keys, at) => gate('markStreamed', () => coffees.markStreamed(keys, at)),
  };
}

describe('the photo pipeline over a database resuming from auto-pause', () => {
  let database: CoffeeDatabase;
  let coffees: CoffeeRepository;
  let store: MemoryPhotoStore;
  let stream: MemoryIngestStream;
  let calls: string[];

  beforeEach(async () => {
    vi.useFakeTimers({ now: START });
    database = openSqliteDatabase(':memory:');
    await migrateToLatest(database.db);
    coffees = createCoffeeRepository(database, { now: () => new Date() });
    store = new MemoryPhotoStore();
    stream = new MemoryIngestStream();
    calls = [];
  });
  afterEach(async () => {
    vi.useRealTimers();
    await database.close();
  });

  function deps(repository: CoffeeRepository): PhotoPipelineDeps {
    const analyzer = new FakeFaceAnalyzer({ name: 'rekognition' });
    analyzer.willReturn(faceAnalysis({ smile: true, smileConfidence: 97.5 }, 'rekognition'));
    return {
      store,
      analyzer,
      coffees: repository,
      stream,
      logger: silentLogger(),
      now: () => new Date(),
      deletePhotoAfterAnalysis: false,
    };
  }

  function uploaded(): CreatedObject {
    const id = '00000000-0000-4000-8000-000000000001';
    const key = photoKey('coffee-pi-01', new Date('2026-11-26T07:59:58.120Z'), id);
    store.put(BUCKET, key, testJpeg(320, 240), {
      [PHOTO_METADATA.deviceId]: 'coffee-pi-01',
      [PHOTO_METADATA.eventId]: id,
      [PHOTO_METADATA.capturedAt]: '2026-11-26T07:59:58.120Z',
    });
    return { bucket: BUCKET, key, sizeBytes: 1, eventTime: START.toISOString() };
  }

  it('waits the resume out with growing pauses and records the photo once', async () => {
    const photo = uploaded();
    const awakeAt = START.getTime() + 15_000;
    const invocation = forInvocation(deps(pausedUntil(coffees, awakeAt, calls)), {
      remainingMs: LAMBDA_TIMEOUT_MS,
    });

    const result = processPhotos([photo], invocation);
    await vi.advanceTimersByTimeAsync(LAMBDA_TIMEOUT_MS);

    expect(await result).toMatchObject({ recorded: [photo.key], streamed: 1 });
    expect((await coffees.findByPhotoKey(photo.key))?.streamedAt).not.toBeNull();
    expect(stream.records).toHaveLength(1);
    // Waits of 0.5, 1, 2, 4, 4, 4 s: the seventh lookup, at 15.5 s, finds the database awake.
    expect(calls.filter((call) => call === 'findByPhotoKey')).toHaveLength(7);
    expect(calls.slice(7)).toEqual(['recordStreamedCoffee']);
  });

  it('waits out a pause that refuses the commit after the record was sent, and sends it once', async () => {
    const photo = uploaded();
    let attempts = 0;
    const pausedAtCommit: CoffeeRepository = {
      ...coffees,
      recordStreamedCoffee: async (coffee, publish, at) => {
        attempts += 1;
        if (attempts === 1) {
          // The transaction got as far as the stream write; the COMMIT met a paused cluster.
          await publish();
          throw new DatabaseResumingError('COMMIT: the database is resuming from auto-pause');
        }
        return coffees.recordStreamedCoffee(coffee, publish, at);
      },
    };
    const invocation = forInvocation(deps(pausedAtCommit), { remainingMs: LAMBDA_TIMEOUT_MS });

    const result = processPhotos([photo], invocation);
    await vi.advanceTimersByTimeAsync(LAMBDA_TIMEOUT_MS);

    expect(await result).toMatchObject({ recorded: [photo.key], streamed: 1 });
    expect(attempts).toBe(2);
    expect(stream.records).toHaveLength(1);
    expect((await coffees.findByPhotoKey(photo.key))?.streamedAt).not.toBeNull();
  });

  it('fails the event once the budget is spent, keeping it for Lambda retries and the on-failure queue', async () => {
    const photo = uploaded();
    const invocation = forInvocation(deps(pausedUntil(coffees, Number.POSITIVE_INFINITY, calls)), {
      remainingMs: LAMBDA_TIMEOUT_MS,
    });

    const result = processPhotos([photo], invocation).then(
      () => ({ error: undefined, at: Date.now() }),
      (caught: unknown) => ({ error: caught, at: Date.now() }),
    );
    await vi.advanceTimersByTimeAsync(LAMBDA_TIMEOUT_MS);
    const { error, at } = await result;

    expect(error).toBeInstanceOf(PhotoBatchRetryError);
    expect((error as PhotoBatchRetryError).failures[0]?.error).toBeInstanceOf(DatabaseResumingError);
    // It gave up with the reserve for the rest of the work still left: 60 s less 15 s. The waits
    // (0.5, 1, 2, then 4 s) reach 43.5 s; one more would pass 45 s.
    expect(at - START.getTime()).toBe(43_500);
    expect(calls).toHaveLength(14);
    expect(stream.records).toHaveLength(0);
    expect(await coffees.findByPhotoKey(photo.key)).toBeNull();
  });

  it('does not wait on a database that is down for another reason', async () => {
    const photo = uploaded();
    const down: CoffeeRepository = {
      ...coffees,
      findByPhotoKey: async () => {
        calls.push('findByPhotoKey');
        throw new DatabaseUnavailableError('connection refused');
      },
    };
    const error = await processPhotos(
      [photo],
      forInvocation(deps(down), { remainingMs: LAMBDA_TIMEOUT_MS }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PhotoBatchRetryError);
    expect(calls).toEqual(['findByPhotoKey']);
  });
});
