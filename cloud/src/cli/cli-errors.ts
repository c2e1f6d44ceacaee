/** The command line is wrong: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose help to point at ("devices set"), when known. */
  command: string | undefined;
}

/** The command cannot go on, for a reason the user can act on (the message says how): exit code 1. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}
