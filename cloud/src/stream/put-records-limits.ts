/**
 * Kinesis Data Streams PutRecords limits (API reference, "PutRecords"; DESIGN.md platform facts).
 * Streams can be raised to 10 MiB records (UpdateMaxRecordSize), ours are not: these are the
 * defaults every stream starts with.
 */
export interface PutRecordsLimits {
  /** Entries in one PutRecords call. */
  maxEntries: number;
  /** Data plus partition key bytes of all entries in one call. */
  maxBatchBytes: number;
  /** Data plus partition key bytes of one entry. */
  maxRecordBytes: number;
  /** Partition key length, counted in UTF-16 code units (see chunk-records.ts for why). */
  maxPartitionKeyLength: number;
}

export const KINESIS_PUT_RECORDS_LIMITS: Readonly<PutRecordsLimits> = Object.freeze({
  maxEntries: 500,
  maxBatchBytes: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyLength: 256,
});
