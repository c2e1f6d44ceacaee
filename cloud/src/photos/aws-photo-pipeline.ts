import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { createRekognitionAnalyzer } from '../analysis/rekognition-analyzer.js';
import { openLambdaDatabase } from '../db/lambda-database.js';
import { createCoffeeRepository } from '../db/sql-coffee-repository.js';
import type { Logger } from '../logging/logger.js';
import { openIngestStream } from '../stream/open-ingest-stream.js';
import type { PhotoHandlerConfig } from './photo-handler-config.js';
import type { PhotoPipelineDeps } from './process-photos.js';
import { createS3Client, createS3PhotoStore } from './s3-photo-store.js';

/**
 * Wires the photo pipeline to AWS: S3, Rekognition, the ingest stream (Kinesis, or the coffees
 * delivery stream on the direct path) and Aurora (through RDS Proxy, with
 * credentials from Secrets Manager over TLS verified against the RDS CA). Built once per Lambda
 * container; the clients and the database pool are reused across invocations.
 */
export async function createAwsPhotoPipeline(
  config: PhotoHandlerConfig,
  logger: Logger,
): Promise<PhotoPipelineDeps> {
  const database = await openLambdaDatabase(config.database, undefined, 2);
  return {
    store: createS3PhotoStore(createS3Client({})),
    analyzer: createRekognitionAnalyzer({
      client: new RekognitionClient({}),
      thresholds: {
        minFaceConfidence: config.minFaceConfidence,
        minAttributeConfidence: config.minAttributeConfidence,
      },
    }),
    coffees: createCoffeeRepository(database),
    stream: openIngestStream(config.ingest).stream,
    logger,
    now: () => new Date(),
    deletePhotoAfterAnalysis: config.deletePhotoAfterAnalysis,
    concurrency: config.concurrency,
  };
}
