import type { StorageCause } from './storage-cause.js';

/** The spool file exists but SQLite cannot read it. It is left untouched for inspection. */
export class SpoolCorruptError extends Error {
  override readonly name = 'SpoolCorruptError';
}

/** The spool file was written by a newer agent with a schema this one does not know. */
export class SpoolVersionError extends Error {
  override readonly name = 'SpoolVersionError';
}

/** The spool could not be opened (directory missing and not creatable, permissions…). */
export class SpoolOpenError extends Error {
  override readonly name = 'SpoolOpenError';
}

/** A reading could not be stored (disk full, I/O error, invalid timestamp). */
export class SpoolWriteError extends Error {
  // Widened so the storage refusals below can name themselves.
  override readonly name: string = 'SpoolWriteError';
}

/** The spool was used after close(). */
export class SpoolClosedError extends Error {
  override readonly name = 'SpoolClosedError';
}

/** The limits make no sense (negative, fractional, not a number). */
export class SpoolConfigError extends Error {
  override readonly name = 'SpoolConfigError';
}

/**
 * Readings could not be stored because the storage refused the write. They are counted per
 * cause and logged by the spool; their seqs are used up, so the data shows the gap.
 */
export class ReadingsNotStoredError extends SpoolWriteError {
  override readonly name = 'ReadingsNotStoredError';
  readonly storageCause: StorageCause;
  readonly fromSeq: number;
  readonly toSeq: number;

  constructor(
    message: string,
    details: { storageCause: StorageCause; fromSeq: number; toSeq: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.storageCause = details.storageCause;
    this.fromSeq = details.fromSeq;
    this.toSeq = details.toSeq;
  }
}

/** A coffee event could not be stored because the storage refused the write; counted by the caller. */
export class EventNotStoredError extends SpoolWriteError {
  override readonly name = 'EventNotStoredError';

  constructor(
    message: string,
    readonly storageCause: StorageCause,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
