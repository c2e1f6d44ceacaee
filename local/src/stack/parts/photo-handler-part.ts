import { join } from 'node:path';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import {
  type CoffeeRepository,
  createLocalFaceAnalyzer,
  createRekognitionAnalyzer,
  createS3PhotoStore,
  type FaceAnalyzer,
  type IngestStream,
} from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import type { LiveDashboardSource } from '../../live/live-dashboard-source.js';
import { checkAwsAccess } from '../../photos/aws-preflight.js';
import { photosAsEvents } from '../../photos/missed-photos.js';
import { photoRecordsOnly } from '../../photos/notification-filter.js';
import { PhotoInvoker } from '../../photos/photo-invoker.js';
import { LOCAL_PHOTO_BUCKET } from '../../s3/local-s3.js';
import type { RunningPart } from '../stack-parts.js';
import type { BucketPart } from './bucket-part.js';

export interface PhotoHandlerPartOptions {
  dataDir: string;
  bucket: BucketPart;
  /** Rekognition with the user's credentials instead of the local analyzer. */
  aws: boolean;
  coffees: CoffeeRepository;
  stream: IngestStream;
  live: LiveDashboardSource;
  logger: Logger;
}

export interface PhotoHandlerPart extends RunningPart {
  invoker: PhotoInvoker;
}

type ClosableAnalyzer = FaceAnalyzer & { close?: () => Promise<void> };

/**
 * The photo Lambda, locally: the bucket's ObjectCreated events run its handler with the same
 * pipeline (store, analyzer, database, stream) it has in AWS.
 */
export async function startPhotoHandlerPart(options: PhotoHandlerPartOptions): Promise<PhotoHandlerPart> {
  const { bucket, live, logger } = options;
  const log = logger.child({ part: 'photo-handler' });
  let stopping = false;
  const analyzer = await openAnalyzer(options, () => stopping);
  const invoker = new PhotoInvoker({
    deps: {
      store: createS3PhotoStore(bucket.client),
      analyzer,
      coffees: options.coffees,
      stream: options.stream,
      logger: log,
      deletePhotoAfterAnalysis: false,
      now: () => new Date(),
    },
    logger: log,
    deadLetterPath: join(options.dataDir, 'failed-photo-events.ndjson'),
    onProcessed: (summary) => {
      live.onCoffeesRecorded(summary.recorded).catch((error: unknown) => {
        log.error({ err: error }, 'dashboard not told about new coffees');
      });
    },
  });
  // Failures are retried, then dead-lettered and logged inside the invoker; a rejection here
  // means even the dead-letter file could not be written.
  const invoke = (event: { Records: unknown[] }) =>
    void invoker
      .invoke(event)
      .catch((error: unknown) => log.error({ err: error, event }, 'photo event lost'));
  bucket.s3.onObjectEvent((event) => {
    const photos = photoRecordsOnly(event);
    if (photos !== null) invoke(photos);
  });
  // Photos stored while the stack was down (or whose event a crash lost) are handled now.
  for (const event of await photosAsEvents(bucket.client, LOCAL_PHOTO_BUCKET)) invoke(event);
  return {
    ready: `bucket events → ${analyzer.name} analyzer → database + stream`,
    async stop() {
      stopping = true;
      await invoker.stop();
      await analyzer.close?.();
    },
    invoker,
  };
}

async function openAnalyzer(
  options: PhotoHandlerPartOptions,
  stopping: () => boolean,
): Promise<ClosableAnalyzer> {
  const { bucket, logger } = options;
  if (options.aws) {
    const client = new RekognitionClient({});
    await checkAwsAccess(client);
    // The local bucket is out of Rekognition's reach: the photo goes as bytes.
    return createRekognitionAnalyzer({
      client,
      readPhotoBytes: (photo) => bucket.readPhoto(photo.bucket, photo.key),
    });
  }
  const local = createLocalFaceAnalyzer({ readPhoto: (name, key) => bucket.readPhoto(name, key) });
  // The model takes seconds to load: load it now, in its worker, not on the first press.
  local.warmUp().catch((error: unknown) => {
    // Stopping the stack ends the worker mid-load: that is not a failure to report.
    if (!stopping()) {
      logger.error(
        { err: error },
        'local face model did not load; photos will be retried, then dead-lettered',
      );
    }
  });
  return local;
}
