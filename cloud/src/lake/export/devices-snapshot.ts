import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DeviceRepository } from '../../db/device-repository.js';
import { DEVICES_SNAPSHOT_KEY, devicesSnapshotNdjson } from './devices-table.js';

/**
 * Writes the device registry to the lake as devices/snapshot.json, the object the `devices` Glue
 * table reads (devices-table.ts): every device, replaced whole, so a device removed from the
 * registry leaves the snapshot too. An empty registry writes an empty file (a table with no
 * rows), never nothing: a missing file and a stale one would both look like a registry.
 */
export interface SnapshotStore {
  put(key: string, body: string): Promise<void>;
}

/** Two registry rows for one thing name would repeat every one of its rows in the export's join. */
export class DuplicateThingNameError extends Error {
  override readonly name = 'DuplicateThingNameError';
  constructor(readonly thingNames: readonly string[]) {
    super(
      `the device registry holds ${thingNames.join(', ')} more than once: the snapshot is not written, ` +
        'because the export would repeat their rows; remove the extra rows from the devices table',
    );
  }
}

export interface DevicesSnapshotWritten {
  readonly key: string;
  readonly devices: number;
  readonly bytes: number;
}

export async function writeDevicesSnapshot(
  registry: Pick<DeviceRepository, 'listDevices'>,
  store: SnapshotStore,
): Promise<DevicesSnapshotWritten> {
  const devices = await registry.listDevices();
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const device of devices) {
    if (seen.has(device.thingName)) repeated.add(device.thingName);
    seen.add(device.thingName);
  }
  if (repeated.size > 0) throw new DuplicateThingNameError([...repeated].sort());
  const body = devicesSnapshotNdjson(devices);
  await store.put(DEVICES_SNAPSHOT_KEY, body);
  return { key: DEVICES_SNAPSHOT_KEY, devices: devices.length, bytes: Buffer.byteLength(body) };
}

/** The lake bucket as a SnapshotStore: one PutObject (the bucket's default encryption applies). */
export function s3SnapshotStore(client: S3Client, bucket: string): SnapshotStore {
  return {
    async put(key, body) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson; charset=utf-8',
        }),
      );
    },
  };
}
