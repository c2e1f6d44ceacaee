import { createDeviceRepository, type Device } from '../db/device-repository.js';
import { CommandFailedError } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import { chooseDatabase } from './database-choice.js';
import { requireCurrentSchema } from './schema-check.js';

/*
 * The device registry as the lake commands see it: the devices for the `devices` view that
 * query and export join the lake's rows with.
 */

export interface RegistryOptions {
  /** The command's name after `coffee-iot`, for messages. */
  command: string;
  /** Say on stderr which registry is read. */
  announce: boolean;
  /** What the note says happens when the registry is not there ("the devices table is empty"). */
  whenMissing: string;
}

/**
 * The registry's devices. A registry that is not there yet (no SQLite file) gives none, and
 * stderr says so; one that is there but unreachable or not migrated fails the command: joins
 * silently missing every owner would look like a registry without owners.
 */
export async function registryDevices(
  databaseUrl: string | undefined,
  io: CliIo,
  { command, announce, whenMissing }: RegistryOptions,
): Promise<Device[]> {
  const choice = chooseDatabase(
    { url: databaseUrl, secret: undefined, host: undefined, name: undefined },
    io,
    { mayCreate: false },
  );
  if (announce) io.stderr.write(`coffee-iot ${command}: registry: ${choice.description}\n`);
  let database: Awaited<ReturnType<typeof choice.open>>;
  try {
    database = await choice.open();
  } catch (error) {
    // Without mayCreate, open() throws CommandFailedError only for a SQLite file that is not there.
    if (!(error instanceof CommandFailedError)) throw error;
    io.stderr.write(`coffee-iot ${command}: note: ${error.message}; ${whenMissing}\n`);
    return [];
  }
  try {
    await requireCurrentSchema(database);
    return await createDeviceRepository(database).listDevices();
  } finally {
    await database.close().catch((error: unknown) => {
      io.stderr.write(
        `coffee-iot ${command}: warning: closing the registry failed: ${(error as Error).message}\n`,
      );
    });
  }
}
