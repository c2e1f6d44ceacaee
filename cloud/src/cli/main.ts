import type { CliIo } from './cli-io.js';

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

/**
 * The `coffee-iot` command. Returns the exit code: 0 success, 1 the command failed (database
 * unreachable, schema not migrated, migration failed; `db status` on a schema that is not current),
 * 2 bad usage or database URL. Each family of commands is loaded only when named, so a command
 * starts with only its own modules (the CLI's start-up is most of a short command's CPU time).
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const lake = lakeCommandFor(argv);
  if (lake) return (await lake.load())(lake.args, io);
  return (await import('./database-main.js')).runDatabaseCommandLine(argv, io);
}
