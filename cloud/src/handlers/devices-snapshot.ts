import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDeviceRepository } from '../db/device-repository.js';
import { openLambdaDatabase } from '../db/lambda-database.js';
import {
  type DevicesSnapshotWritten,
  s3SnapshotStore,
  writeDevicesSnapshot,
} from '../lake/export/devices-snapshot.js';
import { readDevicesSnapshotConfig } from '../lake/export/devices-snapshot-config.js';
import { createCloudLogger } from '../logging/logger.js';

const logger = createCloudLogger('coffee-iot-devices-snapshot');
// Checked when the container starts: a misconfigured deploy fails at once, naming every variable.
const config = readDevicesSnapshotConfig(process.env);
const secrets = new SecretsManagerClient({});
const s3 = new S3Client({});

/**
 * The export state machine's first step: the device registry (Aurora, which Athena cannot read)
 * written to the lake as devices/snapshot.json for the `devices` Glue table the export joins. An
 * error fails the invocation; the state machine retries it (a paused database resuming) and then
 * fails the export rather than join a stale or missing registry.
 */
export async function handler(): Promise<DevicesSnapshotWritten> {
  const database = await openLambdaDatabase(config.database, secrets, 1);
  try {
    const written = await writeDevicesSnapshot(
      createDeviceRepository(database),
      s3SnapshotStore(s3, config.lakeBucket),
    );
    logger.info({ ...written, bucket: config.lakeBucket }, 'devices snapshot written');
    return written;
  } finally {
    await database.close();
  }
}
