/** One record for the ingest stream: the JSON bytes and the partition key (the device id). */
export interface IngestRecord {
  partitionKey: string;
  data: Uint8Array;
}

/**
 * The ingest stream port (Kinesis in AWS, kinesalite locally). `putRecords` resolves once every
 * record is accepted: it chunks within the PutRecords limits and resends only failed entries.
 * Throws StreamUnavailableError when records are still refused after its retries.
 */
export interface IngestStream {
  putRecords(records: readonly IngestRecord[]): Promise<void>;
}

export class StreamUnavailableError extends Error {
  override readonly name = 'StreamUnavailableError';
}

/** A record the stream can never take (over 1 MiB, empty partition key): a bug, not an outage. */
export class StreamRecordRejectedError extends Error {
  override readonly name = 'StreamRecordRejectedError';
}
