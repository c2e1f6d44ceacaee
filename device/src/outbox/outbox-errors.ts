/** A photo could not be taken into the outbox (invalid ids, empty file, disk full, I/O error). */
export class OutboxWriteError extends Error {
  override readonly name = 'OutboxWriteError';
}

/** A photo listed in the outbox has no readable JPEG (dropped by a cap meanwhile, or lost on disk). */
export class OutboxPhotoMissingError extends Error {
  override readonly name = 'OutboxPhotoMissingError';
  constructor(
    readonly eventId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The outbox directory cannot be created or read at start. */
export class OutboxOpenError extends Error {
  override readonly name = 'OutboxOpenError';
}

/** The caps make no sense (negative, fractional, not a number). */
export class OutboxConfigError extends Error {
  override readonly name = 'OutboxConfigError';
}
