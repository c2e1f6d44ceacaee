import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceAnalysis, FaceAnalyzer, PhotoLocation } from '../../../cloud/src/analysis/face-analyzer.js';
import {
  type CoffeeDatabase,
  createCoffeeRepository,
  DatabaseUnavailableError,
  openMysqlDatabase,
} from '../../../cloud/src/db/index.js';
import { migrateToLatest } from '../../../cloud/src/db/migrate.js';
import { encodeS3Key } from '../../../cloud/src/local/s3-notification.js';
import { silentLogger } from '../../../cloud/src/logging/logger.js';
import { handlePhotoEvent } from '../../../cloud/src/photos/handle-photo-event.js';
import { PhotoBatchRetryError, type PhotoPipelineDeps } from '../../../cloud/src/photos/process-photos.js';
import { faceAnalysis } from '../../../cloud/src/testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../../../cloud/src/testing/memory-photo-store.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import { objectCreatedRecord } from '../../../cloud/src/testing/s3-notifications.js';
import { testJpeg } from '../../../cloud/src/testing/test-images.js';
import { MariaDbServer } from '../harness/mariadb.js';

const BUCKET = 'coffee-photos';
const CAPTURED_AT = '2026-11-26T07:30:00.000Z';
const KEY = photoKey('coffee-pi-01', new Date(CAPTURED_AT), '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b');

/** An analyzer during whose call the database goes away: the worst moment for the handler. */
class AnalyzerThatOutlivesTheDatabase implements FaceAnalyzer {
  readonly name = 'rekognition';
  calls = 0;
  constructor(private readonly duringFirstCall: () => Promise<void>) {}
  async analyze(_photo: PhotoLocation): Promise<FaceAnalysis> {
    this.calls += 1;
    if (this.calls === 1) await this.duringFirstCall();
    return faceAnalysis({ smile: true, smileConfidence: 99.1 }, this.name);
  }
}

function s3Event(key: string) {
  return { Records: [objectCreatedRecord({ bucket: BUCKET, encodedKey: encodeS3Key(key) })] };
}

describe('database down during analysis (real MariaDB)', { timeout: 60_000 }, () => {
  let mariadb: MariaDbServer;
  let database: CoffeeDatabase;

  beforeAll(async () => {
    mariadb = await MariaDbServer.create();
    await mariadb.start();
    database = openMysqlDatabase({
      ...(await mariadb.createDatabase()),
      ssl: false,
      connectTimeoutMs: 2_000,
    });
    await migrateToLatest(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await mariadb?.cleanup();
  });

  it('throws so Lambda retries, writes nothing, and the retry records the photo once', async () => {
    const store = new MemoryPhotoStore();
    store.put(BUCKET, KEY, testJpeg(320, 240), { [PHOTO_METADATA.capturedAt]: CAPTURED_AT });
    const stream = new MemoryIngestStream();
    const analyzer = new AnalyzerThatOutlivesTheDatabase(() => mariadb.stop());
    const deps: PhotoPipelineDeps = {
      store,
      analyzer,
      coffees: createCoffeeRepository(database),
      stream,
      logger: silentLogger(),
      now: () => new Date(),
      deletePhotoAfterAnalysis: true,
    };

    const error = await handlePhotoEvent(s3Event(KEY), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PhotoBatchRetryError);
    expect((error as PhotoBatchRetryError).failures[0]?.error).toBeInstanceOf(DatabaseUnavailableError);
    expect(stream.records).toHaveLength(0);
    expect(store.has(BUCKET, KEY)).toBe(true); // privacy delete only after the result is stored

    await mariadb.start();
    expect(await database.db.selectFrom('coffees').selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom('devices').selectAll().execute()).toEqual([]);

    // Lambda's retry of the same event, in the same container (same pool).
    const summary = await handlePhotoEvent(s3Event(KEY), deps);
    expect(summary).toMatchObject({ recorded: [KEY], streamed: 1, deleted: 1 });
    const rows = await database.db
      .selectFrom('coffees')
      .select(['photo_key', 'smile', 'streamed_at'])
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ photo_key: KEY, smile: 1 });
    expect(rows[0]?.streamed_at).not.toBeNull();
    expect(stream.records).toHaveLength(1);
    expect(analyzer.calls).toBe(2);
  });
});
