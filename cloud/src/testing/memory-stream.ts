import { assertPuttable } from '../stream/chunk-records.js';
import { type IngestRecord, type IngestStream, StreamUnavailableError } from '../stream/ingest-stream.js';

/**
 * In-memory IngestStream for tests of the code that writes to the stream. Like the Kinesis
 * adapter it refuses a record that can never be put (StreamRecordRejectedError, nothing stored)
 * and, when told to, fails whole calls with StreamUnavailableError naming every record as not
 * accepted. It does not model partial failures: the adapter resolves those itself before returning.
 */
export class MemoryIngestStream implements IngestStream {
  /** Every accepted record, in the order accepted; data is copied, so later changes to the caller's bytes do not show. */
  readonly records: IngestRecord[] = [];
  /** putRecords calls made, failed ones included. */
  calls = 0;
  private failuresLeft = 0;
  private failureMessage = 'memory stream told to fail';

  constructor(readonly streamName = 'memory-ingest-stream') {}

  /** The next `count` putRecords calls throw StreamUnavailableError and store nothing. */
  failNext(count: number, message = 'memory stream told to fail'): this {
    this.failuresLeft = count;
    this.failureMessage = message;
    return this;
  }

  async putRecords(records: readonly IngestRecord[]): Promise<void> {
    this.calls += 1;
    assertPuttable(records);
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new StreamUnavailableError(
        `stream ${this.streamName}: ${records.length} of ${records.length} record(s) not accepted: ${this.failureMessage}`,
        {
          stream: this.streamName,
          notAccepted: records.map((_, index) => index),
          errorCodes: records.length > 0 ? { ServiceUnavailable: records.length } : {},
        },
      );
    }
    for (const record of records) {
      this.records.push({ partitionKey: record.partitionKey, data: Uint8Array.from(record.data) });
    }
  }

  /** Accepted records decoded as JSON, for asserting on the contract's one-object-per-record shape. */
  json<T = unknown>(): T[] {
    const decoder = new TextDecoder();
    return this.records.map((record) => JSON.parse(decoder.decode(record.data)) as T);
  }
}
