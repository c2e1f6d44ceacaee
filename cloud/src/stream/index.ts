export {
  assertPuttable,
  chunkRecords,
  findUnputtableRecords,
  type IndexedRecord,
  recordBytes,
} from './chunk-records.js';
export { createFirehoseIngestStream, type FirehoseIngestStreamOptions } from './firehose-ingest-stream.js';
export {
  type IngestRecord,
  type IngestStream,
  type RejectedRecord,
  StreamRecordRejectedError,
  StreamUnavailableError,
  type StreamUnavailableErrorOptions,
} from './ingest-stream.js';
export {
  describeIngestTarget,
  INGEST_DELIVERY_STREAM_VARIABLE,
  INGEST_STREAM_VARIABLE,
  type IngestTarget,
  readIngestTarget,
} from './ingest-target-config.js';
export {
  createKinesisClient,
  createKinesisIngestStream,
  type KinesisClientOptions,
  type KinesisIngestStreamOptions,
} from './kinesis-stream.js';
export {
  type PutAllRecordsOptions,
  type PutRecordsResponse,
  type PutRecordsResultEntry,
  putAllRecords,
  type SendPutRecords,
} from './put-records.js';
export { KINESIS_PUT_RECORDS_LIMITS, type PutRecordsLimits } from './put-records-limits.js';
export {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryTiming,
  retryDelayMs,
} from './retry-policy.js';
export { isRetryableCallError } from './retryable-error.js';
