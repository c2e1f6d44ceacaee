import type { CoffeeDatabase } from '../../db/coffee-database.js';
import { createDeviceRepository, type Device } from '../../db/device-repository.js';
import { EXIT_OK, type TextSink } from '../cli-io.js';
import { formatTable, orDash, shortTime } from '../text-table.js';

export const DEVICE_TABLE_HEADER = [
  'THING',
  'OWNER',
  'LOCATION',
  'MODEL',
  'FIRST SEEN (UTC)',
  'LAST SEEN (UTC)',
];

export function deviceTable(devices: readonly Device[]): string {
  return formatTable(
    DEVICE_TABLE_HEADER,
    devices.map((device) => [
      device.thingName,
      orDash(device.owner),
      orDash(device.location),
      orDash(device.model),
      shortTime(device.firstSeenAt),
      shortTime(device.lastSeenAt),
    ]),
  );
}

/** `devices list [--json]`: the registry by thing name, as an aligned table or a JSON array. */
export async function runDevicesList(
  database: CoffeeDatabase,
  json: boolean,
  stdout: TextSink,
): Promise<number> {
  const devices = await createDeviceRepository(database).listDevices();
  if (json) stdout.write(`${JSON.stringify(devices, null, 2)}\n`);
  else if (devices.length === 0) stdout.write('no devices registered\n');
  else stdout.write(deviceTable(devices));
  return EXIT_OK;
}
