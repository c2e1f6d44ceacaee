import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { createFirehoseClient, createFirehoseSender } from '../lake/firehose/firehose-client.js';
import { readFirehoseTransformConfig } from '../lake/firehose/firehose-transform-config.js';
import { handleFirehoseEvent } from '../lake/firehose/handle-firehose-event.js';
import { reingesterForEvent } from '../lake/firehose/reingester-for-event.js';
import { createCloudLogger } from '../logging/logger.js';
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

/**
 * Firehose data transformation for one lake table (LAKE_TABLE): ingest-stream records →
 * newline-delimited flat rows that Firehose converts to Parquet with the Glue table's schema.
 */
export async function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  return handleFirehoseEvent(event, { config, reingesterFor, logger });
}
