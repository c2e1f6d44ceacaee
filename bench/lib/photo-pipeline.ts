import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import type { S3Event } from 'aws-lambda';
import { pino } from 'pino';
import type { FaceAnalysis, FaceAnalyzer, PhotoLocation } from '../../cloud/src/analysis/face-analyzer.js';
import { toFaceAttributes } from '../../cloud/src/analysis/face-details.js';
import { REKOGNITION_ANALYZER_NAME } from '../../cloud/src/analysis/rekognition-analyzer.js';
import type { CoffeeDatabase } from '../../cloud/src/db/coffee-database.js';
import { openMysqlDatabase } from '../../cloud/src/db/mysql-database.js';
import { createCoffeeRepository } from '../../cloud/src/db/sql-coffee-repository.js';
import { encodeS3Key } from '../../cloud/src/local/s3-notification.js';
import type { Logger } from '../../cloud/src/logging/logger.js';
import type { PhotoPipelineDeps } from '../../cloud/src/photos/process-photos.js';
import type { IngestRecord, IngestStream } from '../../cloud/src/stream/ingest-stream.js';
import { FakeFaceAnalyzer, faceAnalysis } from '../../cloud/src/testing/fake-analyzer.js';
import type { MemoryPhotoStore } from '../../cloud/src/testing/memory-photo-store.js';
import { MemoryIngestStream } from '../../cloud/src/testing/memory-stream.js';
import { objectCreatedRecord } from '../../cloud/src/testing/s3-notifications.js';
import { testJpeg } from '../../cloud/src/testing/test-images.js';
import type { MariaDbConnection } from '../../test/src/harness/mariadb.js';
import { oneFaceDetail } from './face-detail.js';

export const BUCKET = 'coffee-iot-photos-bench';
/** Connections per container, as createAwsPhotoPipeline opens them. */
export const POOL_SIZE = 2;

export interface UploadedPhoto {
  key: string;
  sizeBytes: number;
  /** When S3 stored it (the event's eventTime). */
  storedAt: Date;
}

/**
 * `count` photos as the agent uploads them (key photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg,
 * metadata device-id, event-id, captured-at), from `devices` coffee machines in turn, one every
 * 30 s over the last `count` × 30 s. The bytes are one real 640×480 JPEG shared by all.
 */
export function uploadPhotos(store: MemoryPhotoStore, count: number, devices: number): UploadedPhoto[] {
  const body = testJpeg(640, 480);
  const firstMs = Date.now() - count * 30_000;
  return Array.from({ length: count }, (_, i) => {
    const thing = `coffee-pi-${String((i % devices) + 1).padStart(2, '0')}`;
    const eventId = randomUUID();
    const capturedAt = new Date(firstMs + i * 30_000);
    const key = photoKey(thing, capturedAt, eventId);
    store.put(BUCKET, key, body, {
      [PHOTO_METADATA.deviceId]: thing,
      [PHOTO_METADATA.eventId]: eventId,
      [PHOTO_METADATA.capturedAt]: capturedAt.toISOString(),
    });
    return { key, sizeBytes: body.byteLength, storedAt: new Date(capturedAt.getTime() + 1_500) };
  });
}

/** The S3 notification for one stored photo, one record per event as S3 sends it, key URL-encoded. */
export function s3Event(photo: UploadedPhoto, sequence: number): S3Event {
  return {
    Records: [
      objectCreatedRecord({
        bucket: BUCKET,
        encodedKey: encodeS3Key(photo.key),
        size: photo.sizeBytes,
        eventTime: photo.storedAt.toISOString(),
        sequencer: sequence.toString(16).toUpperCase().padStart(18, '0'),
      }),
    ],
  };
}

/** What Rekognition would answer for every bench photo: one face, all attributes, raw details kept. */
export function oneFaceAnalysis(): FaceAnalysis {
  const detail = oneFaceDetail();
  return {
    ...faceAnalysis(toFaceAttributes([detail]), REKOGNITION_ANALYZER_NAME),
    faceDetails: [detail],
  };
}

/**
 * The fake analyzer with Rekognition's latency simulated by a timer (`--analyzer-ms`): the
 * wait is what a container spends on DetectFaces, during which others can use the database.
 */
export class DelayedAnalyzer implements FaceAnalyzer {
  readonly name: string;

  constructor(
    readonly fake: FakeFaceAnalyzer,
    private readonly delayMs: number,
  ) {
    this.name = fake.name;
  }

  async analyze(photo: PhotoLocation): Promise<FaceAnalysis> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    return this.fake.analyze(photo);
  }
}

/**
 * The memory stream with PutRecords' latency simulated by a timer (`--stream-ms`): a new photo's
 * record is sent inside its transaction, so this is how long its rows stay locked.
 */
export class DelayedStream implements IngestStream {
  constructor(
    readonly memory: MemoryIngestStream,
    private readonly delayMs: number,
  ) {}

  async putRecords(records: readonly IngestRecord[]): Promise<void> {
    if (this.delayMs > 0) await sleep(this.delayMs);
    return this.memory.putRecords(records);
  }
}

/**
 * The photo Lambda's logger with createCloudLogger's options (level info, service, ISO time,
 * redaction), writing to /dev/null instead of stdout: the handler still formats and writes its
 * two lines per event, as it does to CloudWatch, but stdout stays the bench's tables.
 */
export function benchLogger(): Logger {
  return pino(
    {
      level: 'info',
      base: { service: 'coffee-iot-photo' },
      redact: { paths: ['*.password', 'password', '*.SecretString'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: '/dev/null', sync: true }),
  );
}

/** One simulated Lambda container: its own pool, repository, analyzer client and stream client. */
export interface Container {
  deps: PhotoPipelineDeps;
  database: CoffeeDatabase;
  analyzer: FakeFaceAnalyzer;
  stream: MemoryIngestStream;
}

export function openContainer(
  connection: MariaDbConnection,
  store: MemoryPhotoStore,
  delays: { analyzerMs: number; streamMs: number },
): Container {
  const database = openMysqlDatabase({ ...connection, ssl: false, poolSize: POOL_SIZE });
  const analyzer = new FakeFaceAnalyzer({
    name: REKOGNITION_ANALYZER_NAME,
    defaultResult: oneFaceAnalysis(),
  });
  const stream = new MemoryIngestStream();
  return {
    database,
    analyzer,
    stream,
    deps: {
      store,
      analyzer: new DelayedAnalyzer(analyzer, delays.analyzerMs),
      coffees: createCoffeeRepository(database),
      stream: new DelayedStream(stream, delays.streamMs),
      logger: benchLogger(),
      now: () => new Date(),
      deletePhotoAfterAnalysis: false,
      // The handler's default (PHOTO_CONCURRENCY); with one record per event it does not matter.
      concurrency: 4,
    },
  };
}

export interface DriveResult<R> {
  wallMs: number;
  /** Per item, from its first attempt's start to its success. */
  latenciesMs: number[];
  results: R[];
  /** Attempts that threw and were tried again (Lambda retries a failed async invocation twice). */
  retries: number;
}

const ATTEMPTS = 3;

/**
 * Runs `work` over every item with one worker per container, each taking the next item when it
 * is free (as Lambda hands the next event to an idle container), each item retried up to twice
 * like a failed asynchronous invocation. Throws if an item still fails.
 */
export async function drive<C, T, R>(
  containers: readonly C[],
  items: readonly T[],
  work: (container: C, item: T) => Promise<R>,
): Promise<DriveResult<R>> {
  const latenciesMs: number[] = new Array(items.length);
  const results: R[] = new Array(items.length);
  let retries = 0;
  let next = 0;
  const worker = async (container: C) => {
    while (next < items.length) {
      const index = next++;
      const started = performance.now();
      for (let attempt = 1; ; attempt += 1) {
        try {
          results[index] = await work(container, items[index] as T);
          break;
        } catch (error) {
          if (attempt >= ATTEMPTS) {
            throw new Error(`item ${index} failed ${ATTEMPTS} times`, { cause: error });
          }
          retries += 1;
        }
      }
      latenciesMs[index] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(containers.map(worker));
  return { wallMs: performance.now() - started, latenciesMs, results, retries };
}
