import { randomUUID } from 'node:crypto';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { photoKey } from '@coffee-iot/shared';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleDashboardRequest } from '../../../cloud/src/dashboard-api/handle-request.js';
import {
  createCoffeeRepository,
  createDeviceRepository,
  DatabaseResumingError,
  migrateToLatest,
  openDataApiDatabase,
  openMysqlDatabase,
} from '../../../cloud/src/db/index.js';
import { silentLogger } from '../../../cloud/src/logging/logger.js';
import { processPhotos } from '../../../cloud/src/photos/process-photos.js';
import { sampleCoffeeRecord } from '../../../cloud/src/testing/coffee-fixtures.js';
import { FakeFaceAnalyzer } from '../../../cloud/src/testing/fake-analyzer.js';
import { MemoryPhotoStore } from '../../../cloud/src/testing/memory-photo-store.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import { testJpeg } from '../../../cloud/src/testing/test-images.js';
import { DATA_API_CALLS } from '../../../infra/src/costs/usage.js';
import { FakeRdsDataApi } from '../harness/fake-rds-data-api.js';
import { MariaDbServer } from '../harness/mariadb.js';
import { describeCoffeeDatabase } from './coffee-database-contract.js';

const CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee-iot';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coffee-db-AbCdEf';

let server: MariaDbServer;

beforeAll(async () => {
  server = await MariaDbServer.create();
  await server.start();
});

afterAll(async () => {
  await server?.cleanup();
});

/** A photo as the agent uploads it, in an in-memory bucket, and the S3 event's object for it. */
function photoInBucket() {
  const store = new MemoryPhotoStore();
  const body = testJpeg(320, 240);
  const key = photoKey('coffee-pi-01', new Date('2026-03-02T11:59:58.000Z'), randomUUID());
  store.put('coffee-photos', key, body, {});
  return { store, object: { bucket: 'coffee-photos', key, sizeBytes: body.byteLength, eventTime: null } };
}

/** The real SDK client, pointed at the fake; no SDK retries, so a refusal shows at once. */
function dataApiClient(endpoint: string): RDSDataClient {
  return new RDSDataClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
}

async function fakeDataApi() {
  const connection = await server.createDatabase('dataapi');
  const { database, ...mariadb } = connection;
  const api = new FakeRdsDataApi({ mariadb, clusterArn: CLUSTER_ARN, secretArn: SECRET_ARN });
  const client = dataApiClient(await api.start());
  const open = () =>
    openDataApiDatabase({ client, resourceArn: CLUSTER_ARN, secretArn: SECRET_ARN, database });
  return { api, client, open, connection };
}

describeCoffeeDatabase('the RDS Data API (answered by MariaDB)', async () => {
  const { api, client, open } = await fakeDataApi();
  return {
    open,
    // A cluster paused at 0 ACU: every call answers DatabaseResumingException until it is awake.
    takeDown: () => api.pause(),
    bringBack: async () => api.resume(),
    cleanup: async () => {
      client.destroy();
      await api.stop();
    },
  };
});

describe('the Data API dialect', () => {
  it('reads the same rows as mysql2 does from the same database', async () => {
    const { api, client, open, connection } = await fakeDataApi();
    const overDataApi = open();
    const overMysql = openMysqlDatabase({ ...connection, ssl: false });
    try {
      await migrateToLatest(overDataApi.db);
      await createCoffeeRepository(overDataApi).recordCoffee({
        record: sampleCoffeeRecord({
          analyzedAt: '2026-03-02T08:15:32.500Z',
          capturedAt: '2026-03-02T08:15:30.000Z',
        }),
        faceDetails: [{ Smile: { Value: true } }],
      });
      // Every type the schema uses, plus the aggregates the stats read (COUNT is BIGINT, SUM of
      // an integer is DECIMAL, AVG of a double is DOUBLE).
      const query = sql`select c.*, d.first_seen_at, count(*) over () as n, cast(c.coffee_hour as decimal(5,1)) as hour_decimal,
        'it''s :p1 ?' as literal from coffees c join devices d on d.thing_name = c.device_id`;
      const viaDataApi = await query.execute(overDataApi.db);
      const viaMysql = await query.execute(overMysql.db);
      expect(viaDataApi.rows).toEqual(viaMysql.rows);
      expect(viaDataApi.rows[0]).toMatchObject({
        analyzed_at: '2026-03-02 08:15:32.500',
        captured_at: '2026-03-02 08:15:30.000',
        smile: 1,
        id: 1,
        hour_decimal: '8.0',
        literal: "it's :p1 ?",
      });
      expect(api.calls).toContain('/BeginTransaction');
      expect(api.calls).toContain('/CommitTransaction');
    } finally {
      await overMysql.close();
      await overDataApi.close();
      client.destroy();
      await api.stop();
    }
  });

  it('names a paused cluster DatabaseResumingError, and answers again once it is awake', async () => {
    const { api, client, open } = await fakeDataApi();
    const database = open();
    try {
      await migrateToLatest(database.db);
      const repository = createCoffeeRepository(database);
      await api.pause();
      const error = await repository.findByPhotoKey('photos/x.jpg').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DatabaseResumingError);
      expect((error as Error).message).toMatch(/resuming/);
      expect(((error as Error).cause as Error).name).toBe('DatabaseResumingException');
      expect(
        ((error as Error).cause as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode,
      ).toBe(400);
      api.resume();
      expect(await repository.findByPhotoKey('photos/x.jpg')).toBeNull();
    } finally {
      await database.close();
      client.destroy();
      await api.stop();
    }
  });
});

describe('the dashboard API over the Data API', () => {
  function snapshotRequest(): APIGatewayProxyEventV2 {
    return {
      rawPath: '/api/snapshot',
      headers: { accept: 'application/json' },
      requestContext: { requestId: 'req-1', http: { method: 'GET' } },
    } as unknown as APIGatewayProxyEventV2;
  }

  it('answers "waking the database" while the cluster resumes, and the snapshot once it is awake', async () => {
    const { api, client, open } = await fakeDataApi();
    const database = open();
    try {
      await migrateToLatest(database.db);
      await createCoffeeRepository(database).recordCoffee({
        record: sampleCoffeeRecord(),
        faceDetails: null,
      });
      const deps = {
        database,
        devices: createDeviceRepository(database),
        coffees: createCoffeeRepository(database),
        photoLinks: { linkFor: async (key: string) => `https://photos.example/${key}` },
        photoLinkSeconds: 300,
        logger: silentLogger(),
        now: () => new Date('2026-03-02T12:00:00.000Z'),
      };

      await api.pause();
      const waking = await handleDashboardRequest(snapshotRequest(), deps);
      expect(waking.statusCode).toBe(503);
      expect(waking.headers).toMatchObject({ 'Retry-After': '5' });
      expect(JSON.parse(waking.body ?? '')).toMatchObject({ waking: true });

      api.resume();
      const awake = await handleDashboardRequest(snapshotRequest(), deps);
      expect(awake.statusCode).toBe(200);
      const snapshot = JSON.parse(awake.body ?? '');
      expect(snapshot.devices.map((device: { deviceId: string }) => device.deviceId)).toEqual([
        'coffee-pi-01',
      ]);
      expect(snapshot.coffees).toHaveLength(1);
    } finally {
      await database.close();
      client.destroy();
      await api.stop();
    }
  });
});

describe('what the Data API bills: calls per photo and per dashboard request (docs/costs.md)', () => {
  it('makes the number of calls the cost model assumes', async () => {
    const { api, client, open } = await fakeDataApi();
    const database = open();
    try {
      await migrateToLatest(database.db);
      const coffees = createCoffeeRepository(database);

      // The photo Lambda's pipeline on one new photo (cloud/src/photos/process-photos.ts).
      const photo = photoInBucket();
      api.calls.length = 0;
      const result = await processPhotos([photo.object], {
        store: photo.store,
        analyzer: new FakeFaceAnalyzer({ name: 'rekognition' }),
        coffees,
        stream: new MemoryIngestStream(),
        logger: silentLogger(),
        now: () => new Date('2026-03-02T12:00:00.000Z'),
        deletePhotoAfterAnalysis: false,
      });
      expect(result).toMatchObject({ recorded: [photo.object.key], streamed: 1 });
      const perPhoto = api.calls.length;

      api.calls.length = 0;
      const answer = await handleDashboardRequest(
        {
          rawPath: '/api/snapshot',
          headers: { accept: 'application/json' },
          requestContext: { requestId: 'req-2', http: { method: 'GET' } },
        } as unknown as APIGatewayProxyEventV2,
        {
          database,
          devices: createDeviceRepository(database),
          coffees,
          photoLinks: { linkFor: async (key: string) => `https://photos.example/${key}` },
          photoLinkSeconds: 300,
          logger: silentLogger(),
          now: () => new Date('2026-03-02T12:00:00.000Z'),
        },
      );
      expect(answer.statusCode).toBe(200);
      const perDashboardRequest = api.calls.length;

      expect({ perPhoto, perDashboardRequest }).toEqual(DATA_API_CALLS);
    } finally {
      await database.close();
      client.destroy();
      await api.stop();
    }
  });
});
