import type { CoffeeDatabase } from '../../db/coffee-database.js';
import {
  createDeviceRepository,
  type DeviceChanges,
  InvalidDeviceChangeError,
} from '../../db/device-repository.js';
import { UsageError } from '../cli-errors.js';
import { EXIT_OK, type TextSink } from '../cli-io.js';
import { deviceTable } from './devices-list.js';

/** `devices set THING --owner X …`: registers the device if new, applies the changes, shows the result. */
export async function runDevicesSet(
  database: CoffeeDatabase,
  thing: string,
  changes: DeviceChanges,
  now: Date,
  stdout: TextSink,
): Promise<number> {
  const devices = createDeviceRepository(database);
  const existed = (await devices.getDevice(thing)) !== null;
  let device: Awaited<ReturnType<typeof devices.setDevice>>;
  try {
    device = await devices.setDevice(thing, changes, now);
  } catch (error) {
    // The repository owns the field rules (length, blank values): its complaint is a usage error here.
    if (error instanceof InvalidDeviceChangeError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  stdout.write(`${existed ? 'updated' : 'registered'} device ${thing}\n`);
  stdout.write(deviceTable([device]));
  return EXIT_OK;
}
