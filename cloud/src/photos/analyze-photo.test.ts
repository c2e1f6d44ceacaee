import { PHOTO_METADATA, parsePhotoKey, photoKey } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { FakeFaceAnalyzer } from '../testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../testing/memory-photo-store.js';
import { testJpeg } from '../testing/test-images.js';
import { analyzePhoto } from './analyze-photo.js';
import { type PhotoStore, PhotoStoreUnavailableError } from './photo-store.js';

const BUCKET = 'coffee-photos';
const NOW = new Date('2026-11-26T08:00:05.000Z');
const CAPTURED_AT = '2026-11-26T07:59:58.120Z';
const KEY = photoKey('coffee-pi-01', new Date(CAPTURED_AT), '00000000-0000-4000-8000-000000000001');

function bucketWithPhoto(): MemoryPhotoStore {
  const store = new MemoryPhotoStore();
  store.put(BUCKET, KEY, testJpeg(320, 240), { [PHOTO_METADATA.capturedAt]: CAPTURED_AT });
  return store;
}

/** The store's calls, each answered only once both have been asked (a request in flight each). */
function answeringTogether(store: PhotoStore): { store: PhotoStore; inFlightAtOnce: () => number } {
  let inFlight = 0;
  let most = 0;
  let release: () => void = () => {};
  const bothAsked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const track = async <T>(call: () => Promise<T>): Promise<T> => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    if (most === 2) release();
    // A request on its own is answered after a few turns of the event loop, not never.
    await Promise.race([bothAsked, new Promise((resolve) => setTimeout(resolve, 20))]);
    inFlight -= 1;
    return call();
  };
  return {
    store: {
      head: (bucket, key) => track(() => store.head(bucket, key)),
      readStart: (bucket, key, length) => track(() => store.readStart(bucket, key, length)),
      delete: (bucket, key) => store.delete(bucket, key),
    },
    inFlightAtOnce: () => most,
  };
}

describe('analyzePhoto', () => {
  it("asks for the object's head and its first bytes at once: one round trip to S3, not two", async () => {
    const { store, inFlightAtOnce } = answeringTogether(bucketWithPhoto());
    const analyzer = new FakeFaceAnalyzer({ name: 'rekognition' });

    const analysed = await analyzePhoto(BUCKET, KEY, parsePhotoKey(KEY), { store, analyzer, now: () => NOW });

    expect(inFlightAtOnce()).toBe(2);
    expect(analysed.record).toMatchObject({ status: 'analyzed', capturedAt: CAPTURED_AT });
    expect(analyzer.calls).toHaveLength(1);
  });

  it('records a photo gone before its head as missing, without the analyzer', async () => {
    const store = new MemoryPhotoStore();
    const analyzer = new FakeFaceAnalyzer({ name: 'rekognition' });

    const analysed = await analyzePhoto(BUCKET, KEY, parsePhotoKey(KEY), { store, analyzer, now: () => NOW });

    expect(analysed.record).toMatchObject({ status: 'missing', capturedAt: null, analyzer: null });
    expect(analyzer.calls).toEqual([]);
  });

  it('records a photo whose head finds nothing as missing even when the read failed, as asking in turn would', async () => {
    const empty = new MemoryPhotoStore();
    const store: PhotoStore = {
      head: (bucket, key) => empty.head(bucket, key),
      readStart: async () => {
        throw new PhotoStoreUnavailableError('S3 GetObject failed: SlowDown');
      },
      delete: (bucket, key) => empty.delete(bucket, key),
    };
    const analyzer = new FakeFaceAnalyzer({ name: 'rekognition' });

    const analysed = await analyzePhoto(BUCKET, KEY, parsePhotoKey(KEY), { store, analyzer, now: () => NOW });

    expect(analysed.record).toMatchObject({ status: 'missing', reason: 'object no longer exists' });
  });

  it('throws the store being unavailable (the event is retried), whichever of the two calls failed', async () => {
    const analyzer = new FakeFaceAnalyzer({ name: 'rekognition' });
    for (const failing of ['head', 'readStart'] as const) {
      const healthy = bucketWithPhoto();
      const store: PhotoStore = {
        head: (bucket, key) => healthy.head(bucket, key),
        readStart: (bucket, key, length) => healthy.readStart(bucket, key, length),
        delete: (bucket, key) => healthy.delete(bucket, key),
        [failing]: async () => {
          throw new PhotoStoreUnavailableError(`S3 ${failing} failed: SlowDown`);
        },
      };
      await expect(
        analyzePhoto(BUCKET, KEY, parsePhotoKey(KEY), { store, analyzer, now: () => NOW }),
      ).rejects.toThrow(`S3 ${failing} failed`);
    }
    expect(analyzer.calls).toEqual([]);
  });
});
