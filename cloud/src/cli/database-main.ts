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
 * The database commands (db, devices list/set, stats) and the general help: everything that parses
 * with command-line.ts. Loaded by main.ts only for these, since they bring the database drivers
 * and the query builder (several hundred modules) that the lake and fleet commands never use.
 */
export async function runDatabaseCommandLine(argv: readonly string[], io: CliIo): Promise<number> {
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
