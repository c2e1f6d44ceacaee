/**
 * Where the transformation writes what cannot go in a Firehose answer: the readings refused on
 * their own, as files under the lake bucket's errors/ prefix. Two adapters: S3 (s3-error-sink.ts,
 * the only module here that imports the S3 client) and memory (memory-error-sink.ts, for tests);
 * one contract suite (error-sink-contract.ts) runs against both.
 */
export interface ErrorSink {
  /** Where files go, for logs: `s3://{bucket}` or `memory`. */
  readonly target: string;
  /**
   * Stores `body` (newline-delimited JSON) under `key`, replacing a file already there (a retried
   * invocation writes the same key again). Resolves once stored; throws ErrorSinkWriteError.
   */
  write(key: string, body: string): Promise<void>;
}

/**
 * An errors file could not be stored. The invocation fails so that Firehose retries it: answering
 * Ok for a record whose refused readings exist nowhere would lose them without a trace.
 */
export class ErrorSinkWriteError extends Error {
  override readonly name = 'ErrorSinkWriteError';
  constructor(
    readonly target: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.name}: ${options.cause.message}` : '';
    super(
      `could not write ${key} to ${target}${cause}; the invocation fails so that Firehose retries it (check the bucket exists and the function may s3:PutObject on errors/readings/*)`,
      options,
    );
  }
}
