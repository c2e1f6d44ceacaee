/**
 * What can go wrong in the local lake, each naming what failed and what to do about it. Every
 * error carries the lake key it concerns, so a log line is enough to find the file.
 */

/** The raw archive could not be written: nothing of the batch is in the lake, the caller may retry. */
export class RawArchiveWriteError extends Error {
  override readonly name = 'RawArchiveWriteError';
  constructor(
    readonly key: string,
    options: ErrorOptions,
  ) {
    super(`could not write the raw archive file ${key}; nothing of this batch is in the lake`, options);
  }
}

/** A raw archive file could not be read back (replay): unreadable, not gzip, or a bad name. */
export class RawArchiveReadError extends Error {
  override readonly name = 'RawArchiveReadError';
  constructor(
    readonly key: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot read the raw archive file ${key}: ${reason}`, options);
  }
}

/**
 * The raw archive of a batch is written but its curated rows or its errors are not (all or
 * some of them): the data is safe in raw/, and replaying that ingest hour rebuilds the rest.
 */
export class CuratedWriteError extends Error {
  override readonly name = 'CuratedWriteError';
  constructor(
    readonly rawKey: string,
    readonly key: string,
    options: ErrorOptions,
  ) {
    super(
      `could not write ${key}; the batch is archived in ${rawKey}: replay its ingest hour to rebuild it`,
      options,
    );
  }
}

/** A replay window that is not a whole number of ingest hours, or ends before it starts. */
export class InvalidReplayWindowError extends Error {
  override readonly name = 'InvalidReplayWindowError';
}

/**
 * A replay left staged partitions that cannot be swapped in without losing rows (something
 * else wrote the partition meanwhile). The staging directory is kept for a person to look at.
 */
export class ReplayRecoveryError extends Error {
  override readonly name = 'ReplayRecoveryError';
  constructor(
    readonly stagingDir: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${message} (staging kept at ${stagingDir})`, options);
  }
}

/** The lake was used after close(). */
export class LocalLakeClosedError extends Error {
  override readonly name = 'LocalLakeClosedError';
  constructor() {
    super('the local lake is closed');
  }
}

/**
 * A compaction journal (`.compaction-*.json` in a curated partition) cannot be read, so whether
 * its merged file replaced its inputs is unknown. Nothing is deleted: the views deduplicate the
 * overlap meanwhile. Replaying the partition's ingest hour (`coffee-iot replay`) rebuilds it from
 * the raw archive and removes the journal.
 */
export class CompactionJournalError extends Error {
  override readonly name = 'CompactionJournalError';
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot read the compaction journal ${path}; replay that ingest hour (coffee-iot replay) to rebuild the partition`,
      options,
    );
  }
}
