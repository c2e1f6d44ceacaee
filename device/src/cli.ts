import { parseArgs } from 'node:util';
import { runAgent } from './agent-runner.js';
import { usageText } from './cli-usage.js';
import type { LoadedConfig } from './config/agent-config.js';
import { ConfigError } from './config/config-error.js';
import { CONFIG_FLAGS, type ConfigFlagValues } from './config/config-flags.js';
import type { ConfigFs } from './config/config-fs.js';
import { type ConfigSources, loadConfig } from './config/load-config.js';
import type { DoctorPorts } from './doctor/doctor-ports.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { createLogger, type Logger, type LogLevel } from './ports/logger.js';
import type { TextSink } from './status/status-command.js';
import type { PidProbe } from './status/status-report.js';

/** Everything the CLI touches outside itself, so tests can drive it in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  fs?: ConfigFs;
  now?: () => number;
  pidAlive?: PidProbe;
  createLogger?: (level: LogLevel) => Logger;
  runAgent?: typeof runAgent;
  /** The doctor's probes; default the real ones. */
  doctorPorts?: DoctorPorts;
}

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const COMMANDS = ['run', 'status', 'doctor', 'help'] as const;
type Command = (typeof COMMANDS)[number];

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const options = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(
    CONFIG_FLAGS.map(({ flag }) => [flag, { type: flag === 'mock' ? 'boolean' : 'string' } as const]),
  ),
} as const;

interface ParsedCommand {
  command: Command;
  configPath: string | undefined;
  json: boolean;
  flags: ConfigFlagValues;
}

function parseCommandLine(argv: string[]): ParsedCommand {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  const word = positionals[0] ?? 'run';
  if (!(COMMANDS as readonly string[]).includes(word)) {
    throw new UsageError(`unknown command "${word}" (expected ${COMMANDS.join(', ')})`);
  }
  const command: Command = values.help ? 'help' : (word as Command);
  if (values.json && command !== 'status' && command !== 'doctor') {
    throw new UsageError('--json applies only to the status and doctor commands');
  }
  const flags: ConfigFlagValues = {};
  for (const { flag } of CONFIG_FLAGS) {
    const value = (values as Record<string, string | boolean | undefined>)[flag];
    if (value !== undefined) flags[flag] = value;
  }
  return { command, configPath: values.config, json: values.json === true, flags };
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

function tryLoadConfig(sources: ConfigSources, stderr: TextSink): LoadedConfig | null {
  try {
    return loadConfig(sources);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`coffee-iot-agent: ${error.message}\n`);
    return null;
  }
}

/** The `coffee-iot-agent` command. Returns the exit code (exit-codes.ts lists them). */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`coffee-iot-agent: ${error.message}\nRun "coffee-iot-agent --help" for usage.\n`);
    return EXIT_USAGE;
  }
  if (parsed.command === 'help') {
    io.stdout.write(usageText());
    return EXIT_OK;
  }

  const sources: ConfigSources = { configPath: parsed.configPath, env: io.env, flags: parsed.flags };
  if (io.fs) sources.fs = io.fs;
  if (io.cwd) sources.cwd = io.cwd;

  // The status and doctor commands are loaded only when asked for: the running agent never needs
  // their code in its heap.
  if (parsed.command === 'status') {
    // status needs only stateDir, and an admin account may not be able to read the key.
    const loaded = tryLoadConfig({ ...sources, checkFiles: false }, io.stderr);
    if (!loaded) return EXIT_USAGE;
    const { runStatusCommand } = await import('./status/status-command.js');
    const { isPidAlive } = await import('./status/status-report.js');
    return runStatusCommand({
      stateDir: loaded.config.stateDir,
      json: parsed.json,
      now: io.now ?? Date.now,
      pidAlive: io.pidAlive ?? isPidAlive,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  }

  if (parsed.command === 'doctor') {
    // The doctor loads the configuration itself: a broken one is its first failing check.
    const { runDoctorCommand } = await import('./doctor/doctor-command.js');
    return runDoctorCommand({
      sources,
      json: parsed.json,
      stdout: io.stdout,
      ...(io.doctorPorts ? { ports: io.doctorPorts } : {}),
    });
  }

  const loaded = tryLoadConfig(sources, io.stderr);
  if (!loaded) return EXIT_USAGE;
  const { config, warnings } = loaded;
  const logger = (io.createLogger ?? createLogger)(config.logLevel);
  // Logged here, once; the runner gets them too so it can report them.
  for (const warning of warnings) logger.warn({ warning }, 'configuration warning');
  try {
    return await (io.runAgent ?? runAgent)(config, {
      logger,
      warnings,
      ...(loaded.pinned ? { pinned: loaded.pinned } : {}),
      ...(loaded.remote ? { remoteOverrides: loaded.remote } : {}),
    });
  } catch (error) {
    const exitCode = exitCodeFor(error);
    logger.fatal({ err: error, exitCode }, 'agent failed');
    // A driver or hardware problem also gets one plain line on stderr: it is the answer to
    // "why did it stop", and the JSON log buries it for someone at a terminal.
    if (exitCode !== EXIT_FAILURE) io.stderr.write(`coffee-iot-agent: ${(error as Error).message}\n`);
    return exitCode;
  }
}
