/**
 * The configuration cannot be used. `problems` holds one line per mistake, each starting
 * with the dotted key it is about, so an operator can fix everything in one pass.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((problem) => `  ${problem}`)
        .join('\n')}`,
      options,
    );
  }
}
