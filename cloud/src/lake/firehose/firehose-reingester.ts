import {
  DeliveryStreamUnavailableError,
  FIREHOSE_PUT_RECORD_BATCH_LIMITS,
  type PutRecordBatchAllOptions,
  putRecordBatchAll,
  type SendPutRecordBatch,
} from './put-record-batch.js';
import { type RecordReingester, ReingestFailedError, type ReingestRecord } from './reingest.js';

export interface FirehoseReingesterOptions {
  /** One PutRecordBatch call to the delivery stream (the SDK adapter binds client and name). */
  send: SendPutRecordBatch;
  deliveryStream: string;
  retry?: Omit<PutRecordBatchAllOptions, 'deliveryStream'>;
}

/**
 * Re-ingest for a DirectPut delivery stream: the records go back into the delivery stream itself
 * with PutRecordBatch (batches of ≤ 500 records and ≤ 4 MiB, only entries with an ErrorCode
 * resent, with backoff), as AWS's own re-ingesting transformation blueprints do.
 */
export function createFirehoseReingester(options: FirehoseReingesterOptions): RecordReingester {
  const target = `firehose:${options.deliveryStream}`;
  const limits = options.retry?.limits ?? FIREHOSE_PUT_RECORD_BATCH_LIMITS;
  return {
    target,
    canTake: (record) => record.data.byteLength <= limits.maxRecordBytes,
    async reingest(records: readonly ReingestRecord[]): Promise<void> {
      if (records.length === 0) return;
      try {
        await putRecordBatchAll(
          records.map((record) => record.data),
          options.send,
          { ...options.retry, deliveryStream: options.deliveryStream },
        );
      } catch (error) {
        const notAccepted =
          error instanceof DeliveryStreamUnavailableError
            ? error.notAccepted.map((index) => records[index]?.recordId ?? `#${index}`)
            : records.map((record) => record.recordId);
        throw new ReingestFailedError(
          `${notAccepted.length} of ${records.length} overflow record(s) could not be put back into ${target}`,
          { target, notAccepted, cause: error },
        );
      }
    },
  };
}
