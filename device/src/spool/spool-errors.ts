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
  override readonly name = 'SpoolWriteError';
}

/** The spool was used after close(). */
export class SpoolClosedError extends Error {
  override readonly name = 'SpoolClosedError';
}

/** The limits make no sense (negative, fractional, not a number). */
export class SpoolConfigError extends Error {
  override readonly name = 'SpoolConfigError';
}
