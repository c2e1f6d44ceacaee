import { findUnputtableRecords } from '../../stream/chunk-records.js';
import { type IngestStream, StreamUnavailableError } from '../../stream/ingest-stream.js';
import { type RecordReingester, ReingestFailedError, type ReingestRecord } from './reingest.js';

/**
 * Re-ingest for a delivery stream whose source is the Kinesis ingest stream: Firehose disables
 * PutRecord/PutRecordBatch on such a delivery stream ("use the Kinesis Data Streams PutRecord and
 * PutRecords operations", Firehose developer guide, writing-with-kinesis-streams), so the records
 * go back on the stream itself, through the IngestStream port (PutRecords in calls of ≤ 500
 * records and ≤ 5 MiB, only refused entries resent, with backoff). Every consumer of the stream
 * sees them again: the other table's delivery stream answers them Dropped, the raw archive keeps
 * both copies, and replay dedupes.
 */
export function createKinesisReingester(stream: IngestStream, streamName: string): RecordReingester {
  const target = `kinesis:${streamName}`;
  return {
    target,
    canTake: (record) => findUnputtableRecords([record]).length === 0,
    async reingest(records: readonly ReingestRecord[]): Promise<void> {
      if (records.length === 0) return;
      try {
        await stream.putRecords(records.map(({ partitionKey, data }) => ({ partitionKey, data })));
      } catch (error) {
        const notAccepted =
          error instanceof StreamUnavailableError && error.notAccepted !== undefined
            ? error.notAccepted.map((index) => records[index]?.recordId ?? `#${index}`)
            : records.map((record) => record.recordId);
        throw new ReingestFailedError(
          `${notAccepted.length} of ${records.length} overflow record(s) could not be put back on ${target}`,
          { target, notAccepted, cause: error },
        );
      }
    },
  };
}
