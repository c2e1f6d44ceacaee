import {
  DeliveryRecordTooLargeError,
  DeliveryStreamUnavailableError,
  type PutRecordBatchAllOptions,
  putRecordBatchAll,
  type SendPutRecordBatch,
} from '../lake/firehose/put-record-batch.js';
import { type IngestStream, StreamRecordRejectedError, StreamUnavailableError } from './ingest-stream.js';

export interface FirehoseIngestStreamOptions {
  /** One PutRecordBatch call to the delivery stream (createFirehoseSender binds client and name). */
  send: SendPutRecordBatch;
  /** The delivery stream's name, for errors: the one `send` puts to. */
  deliveryStream: string;
  /** Retry policy, time and limits; defaults suit a Lambda (about 3 s per batch at most). */
  retry?: Omit<PutRecordBatchAllOptions, 'deliveryStream'>;
  /**
   * Ends every record that does not already end with it (none by default). The lake's producers
   * pass a newline, as the telemetry rule's Firehose action does: Firehose backs the source
   * records up to raw/ joined with nothing between them, so without it raw/ is one unbroken line.
   */
  recordTerminator?: string;
}

/**
 * The IngestStream adapter for a Firehose delivery stream fed by Direct PUT (issue 13's direct
 * ingest path, no Kinesis stream in between). Each record's `data` goes to the one delivery
 * stream with PutRecordBatch through putRecordBatchAll: batches of ≤ 500 records and ≤ 4 MiB,
 * only refused entries resent, with backoff. Failures surface as the port's errors, with the same
 * meaning as the Kinesis adapter's, so a caller cannot tell the two apart except by the name.
 *
 * Partition keys are dropped: Direct PUT has none (a record is only its Data). Nothing is lost
 * by that: a record's identity rests on its own `thing` field (telemetry) or photo key (coffees),
 * which the Firehose transformation checks against the IoT topic; the key was only ever the
 * device id, a shard-routing hint for Kinesis.
 */
export function createFirehoseIngestStream(options: FirehoseIngestStreamOptions): IngestStream {
  const { send, deliveryStream } = options;
  const terminator =
    options.recordTerminator === undefined ? undefined : Buffer.from(options.recordTerminator);
  if (!deliveryStream)
    throw new TypeError('createFirehoseIngestStream needs a deliveryStream name, got none');
  return {
    async putRecords(records) {
      try {
        await putRecordBatchAll(
          records.map((record) => terminated(record.data, terminator)),
          send,
          { ...options.retry, deliveryStream },
        );
      } catch (error) {
        throw asPortError(error, records.length, deliveryStream);
      }
    },
  };
}

function terminated(data: Uint8Array, terminator: Buffer | undefined): Uint8Array {
  if (
    terminator === undefined ||
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray(-terminator.length).equals(terminator)
  ) {
    return data;
  }
  return Buffer.concat([data, terminator]);
}

/** The put-record-batch errors as the IngestStream port names them; anything else unchanged. */
function asPortError(error: unknown, count: number, deliveryStream: string): unknown {
  if (error instanceof DeliveryRecordTooLargeError) {
    const rejected = error.tooLarge.map(({ index, bytes }) => ({
      index,
      bytes,
      reason: `${bytes} bytes of data (Direct PUT has no partition key) is over the ${error.maxRecordBytes}-byte record limit of PutRecordBatch`,
    }));
    const shown = rejected.slice(0, 10).map((r) => `record ${r.index} (${r.bytes} bytes)`);
    const more = rejected.length > shown.length ? `; and ${rejected.length - shown.length} more` : '';
    return new StreamRecordRejectedError(
      `Firehose delivery stream ${deliveryStream}: ${rejected.length} of ${count} record(s) can never be put, ` +
        `none was sent: ${shown.join('; ')}${more} over the ${error.maxRecordBytes}-byte record limit`,
      { rejected, cause: error },
    );
  }
  if (error instanceof DeliveryStreamUnavailableError) {
    // The message already reads "delivery stream NAME: n of m record(s) not accepted (codes): …".
    // The cause is the SDK's error when the call failed (as the Kinesis adapter gives it), none
    // when entries were refused.
    return new StreamUnavailableError(`Firehose ${error.message}`, {
      stream: deliveryStream,
      notAccepted: [...error.notAccepted].sort((a, b) => a - b),
      errorCodes: error.errorCodes,
      cause: error.cause,
    });
  }
  return error;
}
