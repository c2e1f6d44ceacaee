import { type ErrorSink, ErrorSinkWriteError } from '../lake/firehose/error-sink.js';

/** The in-memory ErrorSink: what tests read back, and how they make a write fail. */
export interface MemoryErrorSink extends ErrorSink {
  /** Stored files by key. */
  readonly files: ReadonlyMap<string, string>;
  /** Makes every later write fail as S3 would (ErrorSinkWriteError), until given undefined. */
  failWith(cause: Error | undefined): void;
}

export function createMemoryErrorSink(): MemoryErrorSink {
  const files = new Map<string, string>();
  let failure: Error | undefined;
  return {
    target: 'memory',
    files,
    failWith(cause) {
      failure = cause;
    },
    async write(key, body) {
      if (failure !== undefined) throw new ErrorSinkWriteError('memory', key, { cause: failure });
      files.set(key, body);
    },
  };
}
