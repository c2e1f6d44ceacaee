/** A record going back to the source because its answer did not fit in the response. */
export interface ReingestRecord {
  /** The Firehose recordId it was answered `Dropped` under: names it in logs and errors. */
  recordId: string;
  /** The Kinesis partition key (the device id); ignored by a DirectPut delivery stream. */
  partitionKey: string;
  /** The original record with its `reingested` count raised by one. */
  data: Uint8Array;
  /** The count it now carries. */
  reingested: number;
}

/**
 * The re-ingest port: puts records back where the delivery stream reads from, so Firehose
 * transforms them again in a later invocation. Two adapters: the Kinesis ingest stream (a
 * delivery stream with a Kinesis source accepts no PutRecordBatch) and Firehose PutRecordBatch
 * (a DirectPut delivery stream).
 */
export interface RecordReingester {
  /** Where records go, for logs: `kinesis:{stream}` or `firehose:{delivery stream}`. */
  readonly target: string;
  /** Whether the target could ever take this record (its size limits); false means give it up. */
  canTake(record: ReingestRecord): boolean;
  /** Resolves once every record is accepted; throws ReingestFailedError otherwise. */
  reingest(records: readonly ReingestRecord[]): Promise<void>;
}

export interface ReingestFailedErrorOptions extends ErrorOptions {
  target: string;
  /** The recordIds not accepted (still refused or never sent). */
  notAccepted: readonly string[];
}

/**
 * Records answered `Dropped` could not be put back: the handler throws this so that Firehose
 * retries the whole invocation (and, after its retries, writes the batch to processing-failed/),
 * rather than answering Dropped for records that would then exist nowhere. Records re-ingested
 * before the failure arrive twice; duplicates are harmless downstream, a loss is not.
 */
export class ReingestFailedError extends Error {
  override readonly name = 'ReingestFailedError';
  readonly target: string;
  readonly notAccepted: readonly string[];

  constructor(message: string, options: ReingestFailedErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.target = options.target;
    this.notAccepted = options.notAccepted;
  }
}
