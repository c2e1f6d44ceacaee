import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-errors.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-io.js';

/*
 * The plumbing the lake commands (query, export, replay) share: strict flag parsing that turns
 * parseArgs's complaints into UsageErrors, and the top-level run that prints --help and maps
 * errors to exit codes, so every command reports bad usage and failures the same way.
 */

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;
type StrictParse<O extends ParseArgsOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true; tokens: true }>
>;

/**
 * Parses `argv` against `options`, strictly: unknown flags, missing values and a flag given twice
 * are UsageErrors, and so are positional arguments unless `allowPositionals`.
 */
export function parseCommandLine<const O extends ParseArgsOptions>(
  argv: readonly string[],
  options: O,
  { allowPositionals }: { allowPositionals: boolean },
): { values: StrictParse<O>['values']; positionals: string[] } {
  try {
    const parsed: StrictParse<O> = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    const seen = new Set<string>();
    for (const token of parsed.tokens) {
      if (token.kind !== 'option') continue;
      if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
      seen.add(token.name);
    }
    if (!allowPositionals && parsed.positionals.length > 0) {
      throw new UsageError(`unexpected arguments: ${parsed.positionals.join(' ')}`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

/** `value`, unless the flag was given blank: a UsageError ("--lake is empty"). */
export function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} is empty`);
  return value;
}

export interface LakeCommand<C> {
  /** The command's name after `coffee-iot` ("query"), for messages. */
  name: string;
  /** Printed for --help. */
  usage: string;
  /** The command line's meaning, or 'help'; throws UsageError for bad usage. */
  parse: (argv: readonly string[], io: CliIo) => C | 'help';
  /** Does the work; returns the exit code, or throws. */
  run: (command: C, io: CliIo) => Promise<number>;
  /** Error names, besides Error and CommandFailedError, whose message is printed without the name. */
  plainErrors?: readonly string[];
}

/**
 * Runs a lake command: --help prints its usage (exit 0); a UsageError is printed with a pointer to
 * --help (exit 2); any other error is printed, with its name unless it is a plain one (exit 1).
 * Never throws.
 */
export async function runLakeCommand<C>(
  spec: LakeCommand<C>,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const prefix = `coffee-iot ${spec.name}:`;
  try {
    const command = spec.parse(argv, io);
    if (command === 'help') {
      io.stdout.write(spec.usage);
      return EXIT_OK;
    }
    return await spec.run(command, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${prefix} ${error.message}\nRun "coffee-iot ${spec.name} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    const plain = ['Error', 'CommandFailedError', ...(spec.plainErrors ?? [])];
    const name = error instanceof Error && !plain.includes(error.name) ? `${error.name}: ` : '';
    io.stderr.write(`${prefix} ${name}${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
