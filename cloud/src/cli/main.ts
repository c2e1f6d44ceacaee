import type { CoffeeDatabase } from '../db/coffee-database.js';
import { CommandFailedError, UsageError } from './cli-errors.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import { type Command, parseCommandLine } from './command-line.js';
import { runDbMigrate } from './commands/db-migrate.js';
import { runDbStatus } from './commands/db-status.js';
import { runDevicesList } from './commands/devices-list.js';
import { runDevicesSet } from './commands/devices-set.js';
import { runStats } from './commands/stats.js';
import { chooseDatabase } from './database-choice.js';
import { requireCurrentSchema } from './schema-check.js';
import { usageText } from './usage.js';

type DatabaseCommand = Exclude<Command, { name: 'help' }>;

type CommandRunner = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * The lake commands parse their own flags. Loaded on demand: they bring DuckDB (a native module
 * with no 32-bit ARM build) and csv-parse, which the database commands never need.
 */
const LAKE_COMMANDS: Readonly<Record<string, () => Promise<CommandRunner>>> = {
  query: async () => (await import('./commands/query.js')).runQuery,
  import: async () => (await import('./commands/import.js')).runImport,
  replay: async () => (await import('./commands/replay.js')).runReplay,
  export: async () => (await import('./commands/export.js')).runExport,
  // Provisioning parses its own flags too, and brings the IoT and CloudFormation SDK clients.
  provision: async () => (await import('./commands/provision.js')).runProvision,
  deprovision: async () => (await import('./commands/deprovision.js')).runDeprovision,
  'sign-bundle': async () => (await import('./commands/sign-bundle.js')).runSignBundle,
};

/**
 * Fleet operations (shadow config, jobs, certificate rotation): they talk to the local stack's API
 * or AWS IoT, never to the database, and load the IoT SDK clients only when used.
 */
const FLEET_COMMANDS: Readonly<Record<string, () => Promise<CommandRunner>>> = {
  jobs: async () => (await import('./commands/jobs.js')).runJobs,
  'devices config': async () => (await import('./commands/devices-config.js')).runDevicesConfig,
  'devices rotate-cert': async () => (await import('./commands/devices-rotate-cert.js')).runDevicesRotateCert,
};

function fleetCommandFor(
  argv: readonly string[],
): { load: () => Promise<CommandRunner>; args: string[] } | undefined {
  const help = argv[0] === 'help';
  const words = help ? argv.slice(1) : argv;
  for (const length of [2, 1]) {
    if (words.length < length) continue;
    const name = words.slice(0, length).join(' ');
    if (!Object.hasOwn(FLEET_COMMANDS, name)) continue;
    const load = FLEET_COMMANDS[name] as () => Promise<CommandRunner>;
    // `coffee-iot help jobs` is `coffee-iot jobs --help`.
    if (help) return words.length === length ? { load, args: ['--help'] } : undefined;
    return { load, args: argv.slice(length) };
  }
  return undefined;
}

function lakeCommandFor(
  argv: readonly string[],
): { load: () => Promise<CommandRunner>; args: string[] } | undefined {
  const fleet = fleetCommandFor(argv);
  if (fleet) return fleet;
  const [first, second, ...rest] = argv;
  if (first !== undefined && Object.hasOwn(LAKE_COMMANDS, first)) {
    return { load: LAKE_COMMANDS[first] as () => Promise<CommandRunner>, args: argv.slice(1) };
  }
  // `coffee-iot help query` is `coffee-iot query --help`.
  if (first === 'help' && second !== undefined && Object.hasOwn(LAKE_COMMANDS, second) && rest.length === 0) {
    return { load: LAKE_COMMANDS[second] as () => Promise<CommandRunner>, args: ['--help'] };
  }
  return undefined;
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

async function run(command: DatabaseCommand, database: CoffeeDatabase, io: CliIo): Promise<number> {
  if (command.name === 'db migrate') return runDbMigrate(database, command.to, io.stdout);
  if (command.name === 'db status') return runDbStatus(database, io.stdout);
  await requireCurrentSchema(database);
  switch (command.name) {
    case 'devices list':
      return runDevicesList(database, command.json, io.stdout);
    case 'devices set':
      return runDevicesSet(
        database,
        command.thing,
        command.changes,
        (io.now ?? (() => new Date()))(),
        io.stdout,
      );
    case 'stats':
      return runStats(database, command.stats, command.json, io.stdout);
  }
}

async function runWithDatabase(command: DatabaseCommand, io: CliIo): Promise<number> {
  const choice = chooseDatabase(command.database, io, { mayCreate: command.name === 'db migrate' });
  io.stderr.write(`coffee-iot: using ${choice.description}\n`);
  const database = await choice.open();
  try {
    return await run(command, database, io);
  } finally {
    await database.close().catch((error: unknown) => {
      // The command's outcome stands; a pool that will not close is worth a line, not a failure.
      io.stderr.write(`coffee-iot: warning: closing the database failed: ${(error as Error).message}\n`);
    });
  }
}

/**
 * The `coffee-iot` command. Returns the exit code: 0 success, 1 the command failed (database
 * unreachable, schema not migrated, migration failed; `db status` on a schema that is not current),
 * 2 bad usage or database URL.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const lake = lakeCommandFor(argv);
  if (lake) return (await lake.load())(lake.args, io);
  let command: Command | undefined;
  try {
    command = parseCommandLine(argv);
    if (command.name === 'help') {
      io.stdout.write(usageText(command.topic));
      return EXIT_OK;
    }
    return await runWithDatabase(command, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const about = error.command ?? (command?.name === 'help' ? undefined : command?.name);
      const help = about === undefined ? '' : ` ${about}`;
      io.stderr.write(`coffee-iot: ${error.message}\nRun "coffee-iot${help} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    const where =
      command === undefined || command.name === 'help' ? 'coffee-iot' : `coffee-iot ${command.name}`;
    if (error instanceof CommandFailedError) {
      io.stderr.write(`${where}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    // Anything else (database unreachable, a failed migration) is named by its own error.
    const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
    io.stderr.write(`${where}: ${name}${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
