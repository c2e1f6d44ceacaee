import { batchBySize } from './batch-put.js';
import { type IngestRecord, type RejectedRecord, StreamRecordRejectedError } from './ingest-stream.js';
import { KINESIS_PUT_RECORDS_LIMITS, type PutRecordsLimits } from './put-records-limits.js';

/** A record with its index in the array the caller gave, so errors can name it. */
export interface IndexedRecord {
  index: number;
  record: IngestRecord;
}

const encoder = new TextEncoder();

/** What Kinesis counts for a record against the per-record and per-call limits. */
export function recordBytes(record: IngestRecord): number {
  return record.data.byteLength + encoder.encode(record.partitionKey).byteLength;
}

/**
 * Every record the stream could never take, each named with its index and size. AWS documents the
 * key as "1 to 256 Unicode characters"; we count UTF-16 code units (`string.length`), which is
 * never fewer than code points, so a key we let through is one Kinesis and kinesalite accept.
 */
export function findUnputtableRecords(
  records: readonly IngestRecord[],
  limits: PutRecordsLimits = KINESIS_PUT_RECORDS_LIMITS,
): RejectedRecord[] {
  const rejected: RejectedRecord[] = [];
  records.forEach((record, index) => {
    const bytes = recordBytes(record);
    const reasons: string[] = [];
    if (bytes > limits.maxRecordBytes) {
      reasons.push(
        `${bytes} bytes (data + partition key) is over the ${limits.maxRecordBytes}-byte record limit`,
      );
    }
    if (record.partitionKey.length === 0) reasons.push('the partition key is empty');
    if (record.partitionKey.length > limits.maxPartitionKeyLength) {
      reasons.push(
        `the partition key is ${record.partitionKey.length} characters, over ${limits.maxPartitionKeyLength}`,
      );
    }
    if (reasons.length > 0) rejected.push({ index, bytes, reason: reasons.join('; ') });
  });
  return rejected;
}

/** Throws StreamRecordRejectedError naming every record the stream could never take. */
export function assertPuttable(
  records: readonly IngestRecord[],
  limits: PutRecordsLimits = KINESIS_PUT_RECORDS_LIMITS,
): void {
  const rejected = findUnputtableRecords(records, limits);
  if (rejected.length === 0) return;
  const shown = rejected.slice(0, 10).map((r) => `record ${r.index} (${r.bytes} bytes): ${r.reason}`);
  const more = rejected.length > shown.length ? `; and ${rejected.length - shown.length} more` : '';
  throw new StreamRecordRejectedError(
    `${rejected.length} of ${records.length} record(s) can never be put on the stream, none was sent: ${shown.join('; ')}${more}`,
    { rejected },
  );
}

/**
 * Splits records into PutRecords batches within the entry and byte limits, keeping their order.
 * All records are checked first, so a bad record stops the call before anything is sent (no
 * half-delivered call for a bug that no retry can fix).
 */
export function chunkRecords(
  records: readonly IngestRecord[],
  limits: PutRecordsLimits = KINESIS_PUT_RECORDS_LIMITS,
): IndexedRecord[][] {
  assertPuttable(records, limits);
  return batchBySize(records, recordBytes, limits).map((batch) =>
    batch.map(({ index, item }) => ({ index, record: item })),
  );
}
