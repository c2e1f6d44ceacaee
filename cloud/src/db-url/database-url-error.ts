/**
 * A database URL that cannot be used, saying which part is wrong. The message never contains the
 * URL itself or its password: it is printed, and may be logged.
 */
export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
}
