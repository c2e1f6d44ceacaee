import { EnvReader } from '../config/env.js';
import { type LambdaDatabaseConfig, readLambdaDatabaseConfig } from '../db/lambda-database-config.js';
import { type IngestTarget, readIngestTarget } from '../stream/ingest-target-config.js';

export interface PhotoHandlerConfig {
  /**
   * Where the coffee records go: the Kinesis ingest stream (INGEST_STREAM_NAME) or, on the direct
   * path, the coffees delivery stream itself (INGEST_DELIVERY_STREAM_NAME); exactly one is set.
   */
  ingest: IngestTarget;
  /** Aurora through the Data API or mysql2 (DATABASE_MODE; see db/lambda-database-config.ts). */
  database: LambdaDatabaseConfig;
  /** Faces Rekognition is less sure of than this (percent) are not counted. */
  minFaceConfidence: number;
  /** Attributes (smile, glasses…) reported with less confidence than this stay unknown (null). */
  minAttributeConfidence: number;
  deletePhotoAfterAnalysis: boolean;
  concurrency: number;
}

/** Reads the photo Lambda's environment; throws EnvironmentError naming every problem at once. */
export function readPhotoHandlerConfig(
  env: Readonly<Record<string, string | undefined>>,
): PhotoHandlerConfig {
  const read = new EnvReader(env);
  const percent = { min: 0, max: 100 };
  const config: PhotoHandlerConfig = {
    ingest: readIngestTarget(read),
    database: readLambdaDatabaseConfig(read),
    minFaceConfidence: read.number('MIN_FACE_CONFIDENCE', 90, percent),
    minAttributeConfidence: read.number('MIN_ATTRIBUTE_CONFIDENCE', 80, percent),
    deletePhotoAfterAnalysis: read.boolean('DELETE_PHOTO_AFTER_ANALYSIS', false),
    concurrency: read.number('PHOTO_CONCURRENCY', 4, { min: 1, max: 32 }),
  };
  read.done();
  return config;
}
