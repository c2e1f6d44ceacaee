import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceRepository, type Device } from '../../../cloud/src/db/device-repository.js';
import { migrateToLatest } from '../../../cloud/src/db/migrate.js';
import { openSqliteDatabase } from '../../../cloud/src/db/sqlite-database.js';
import {
  DuplicateThingNameError,
  type SnapshotStore,
  s3SnapshotStore,
  writeDevicesSnapshot,
} from '../../../cloud/src/lake/export/devices-snapshot.js';
import { readDevicesSnapshotConfig } from '../../../cloud/src/lake/export/devices-snapshot-config.js';
import { DEVICES_COLUMNS, DEVICES_SNAPSHOT_KEY } from '../../../cloud/src/lake/export/devices-table.js';
import { MOTO_SERVER_BIN, MotoServer } from '../harness/moto-server.js';

/** The registry snapshot the `devices` Glue table reads: what it writes, and where. */
const NOW = new Date('2026-03-05T06:00:00.000Z');

function memoryStore(): SnapshotStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    async put(key, body) {
      objects.set(key, body);
    },
  };
}

const device = (thingName: string, seen: string | null): Device => ({
  thingName,
  owner: 'Ada',
  location: null,
  model: 'Gaggia "Classic"\nPro',
  firstSeenAt: seen,
  lastSeenAt: seen,
  updatedAt: NOW.toISOString(),
});

describe('the devices snapshot', () => {
  it('writes one JSON line per device with exactly the Glue table’s columns, times as Hive reads them', async () => {
    const store = memoryStore();
    const written = await writeDevicesSnapshot(
      { listDevices: async () => [device('pi-a', '2026-03-04T08:00:02.000Z'), device('pi-b', null)] },
      store,
    );
    expect(written).toMatchObject({ key: 'devices/snapshot.json', devices: 2 });
    const lines = (store.objects.get(DEVICES_SNAPSHOT_KEY) ?? '').split('\n');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const row of rows) expect(Object.keys(row)).toEqual(DEVICES_COLUMNS.map((c) => c.name));
    expect(rows).toEqual([
      {
        thing_name: 'pi-a',
        owner: 'Ada',
        location: null,
        model: 'Gaggia "Classic"\nPro',
        first_seen_at: '2026-03-04 08:00:02.000',
        last_seen_at: '2026-03-04 08:00:02.000',
      },
      expect.objectContaining({ thing_name: 'pi-b', first_seen_at: null }),
    ]);
  });

  it('writes an empty file for an empty registry, so a removed device leaves the table', async () => {
    const store = memoryStore();
    await writeDevicesSnapshot({ listDevices: async () => [] }, store);
    expect(store.objects.get(DEVICES_SNAPSHOT_KEY)).toBe('');
  });

  it('refuses a registry holding a thing name twice, writing nothing', async () => {
    const store = memoryStore();
    const registry = {
      listDevices: async () => [device('pi-a', null), device('pi-b', null), device('pi-a', null)],
    };
    await expect(writeDevicesSnapshot(registry, store)).rejects.toThrow(DuplicateThingNameError);
    await expect(writeDevicesSnapshot(registry, store)).rejects.toThrow(/pi-a more than once/);
    expect(store.objects.size).toBe(0);
  });
});

describe('the devices snapshot function’s environment', () => {
  it('reads the database and the lake bucket, naming every missing variable at once', () => {
    expect(
      readDevicesSnapshotConfig({
        DATABASE_MODE: 'data-api',
        DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
        DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coffee',
        DB_NAME: 'coffee',
        LAKE_BUCKET: 'coffee-iot-lake',
      }),
    ).toMatchObject({ database: { mode: 'data-api', dbName: 'coffee' }, lakeBucket: 'coffee-iot-lake' });
    expect(() => readDevicesSnapshotConfig({ DATABASE_MODE: 'data-api' })).toThrow(
      /DB_CLUSTER_ARN is required.*LAKE_BUCKET is required/,
    );
  });
});

describe.skipIf(MOTO_SERVER_BIN === undefined)('the devices snapshot from a real registry to S3', () => {
  let moto: MotoServer;
  let s3: S3Client;
  const bucket = 'coffee-iot-lake-snapshot-test';

  beforeAll(async () => {
    moto = await MotoServer.start();
    s3 = new S3Client({ ...moto.clientConfig('eu-west-1'), forcePathStyle: true });
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
  });
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  it('reads the registry through the database port and puts devices/snapshot.json in the lake', async () => {
    const database = openSqliteDatabase(':memory:');
    try {
      await migrateToLatest(database.db);
      const devices = createDeviceRepository(database);
      await devices.setDevice('pi-b', { owner: 'Grace', location: 'Lab' }, NOW);
      await devices.setDevice('pi-a', { owner: 'Ada', location: 'Kitchen', model: 'Gaggia' }, NOW);
      await writeDevicesSnapshot(devices, s3SnapshotStore(s3, bucket));
    } finally {
      await database.close();
    }
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: DEVICES_SNAPSHOT_KEY }));
    expect(object.ContentType).toBe('application/x-ndjson; charset=utf-8');
    const text = (await object.Body?.transformToString()) ?? '';
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        thing_name: 'pi-a',
        owner: 'Ada',
        location: 'Kitchen',
        model: 'Gaggia',
        first_seen_at: null,
        last_seen_at: null,
      },
      {
        thing_name: 'pi-b',
        owner: 'Grace',
        location: 'Lab',
        model: null,
        first_seen_at: null,
        last_seen_at: null,
      },
    ]);
  });
});
