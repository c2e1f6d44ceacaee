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

export interface StreamUnavailableErrorOptions extends ErrorOptions {
  /** The stream (name or ARN) that did not take the records. */
  stream?: string;
  /**
   * Indexes, into the array given to `putRecords`, of the records the stream has not accepted:
   * those still refused plus those not sent yet. Every other record of the call was accepted, so
   * a caller can note those as delivered and retry only these.
   */
  notAccepted?: readonly number[];
  /** How many entries the last attempt refused, by Kinesis ErrorCode (or the whole-call error name). */
  errorCodes?: Readonly<Record<string, number>>;
}

export class StreamUnavailableError extends Error {
  override readonly name = 'StreamUnavailableError';
  readonly stream: string | undefined;
  readonly notAccepted: readonly number[] | undefined;
  readonly errorCodes: Readonly<Record<string, number>>;

  constructor(message?: string, options: StreamUnavailableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.stream = options.stream;
    this.notAccepted = options.notAccepted;
    this.errorCodes = options.errorCodes ?? {};
  }
}

/** Why one record can never be put, with its index in the array given to `putRecords`. */
export interface RejectedRecord {
  index: number;
  /** Data plus partition key, UTF-8 bytes: what Kinesis counts against the record limit. */
  bytes: number;
  reason: string;
}

/** A record the stream can never take (over 1 MiB, empty partition key): a bug, not an outage. */
export class StreamRecordRejectedError extends Error {
  override readonly name = 'StreamRecordRejectedError';
  readonly rejected: readonly RejectedRecord[];

  constructor(message?: string, options: ErrorOptions & { rejected?: readonly RejectedRecord[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.rejected = options.rejected ?? [];
  }
}
