import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { createFirehoseClient, createFirehoseSender } from '../lake/firehose/firehose-client.js';
import { readFirehoseTransformConfig } from '../lake/firehose/firehose-transform-config.js';
import { handleFirehoseEvent } from '../lake/firehose/handle-firehose-event.js';
import { reingesterForEvent } from '../lake/firehose/reingester-for-event.js';
import { createS3ErrorSink } from '../lake/firehose/s3-error-sink.js';
import { createCloudLogger } from '../logging/logger.js';
import { createS3Client } from '../photos/s3-photo-store.js';
import { createKinesisClient } from '../stream/kinesis-stream.js';

const logger = createCloudLogger('coffee-iot-firehose-transform');
// Checked when the container starts, like the other handlers: a misconfigured deploy fails at
// once, naming every bad variable.
const config = readFirehoseTransformConfig(process.env);
// Only used when an answer overflows: the clients cost nothing until then. Kinesis for a delivery
// stream reading the ingest stream (PutRecordBatch is disabled there), Firehose for DirectPut.
const reingesterFor = reingesterForEvent({
  kinesis: createKinesisClient(),
  firehose: createFirehoseSender(createFirehoseClient()),
});
const errorSink = createS3ErrorSink(createS3Client(), config.lakeBucket);
// Embedded Metric Format lines go straight to stdout (CloudWatch Logs), whatever LOG_LEVEL says.
const writeMetrics = (line: string) => void process.stdout.write(`${line}\n`);

/**
 * Firehose data transformation for one lake table (LAKE_TABLE): ingest-stream records →
 * newline-delimited flat rows that Firehose converts to Parquet with the Glue table's schema.
 */
export async function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  return handleFirehoseEvent(event, { config, reingesterFor, errorSink, logger, writeMetrics });
}
