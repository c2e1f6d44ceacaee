import { DetectFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabaseFromUrl } from '../../../cloud/src/db-url/index.js';
import type { DashboardSnapshot } from '../../../local/src/dashboard/api-types.js';
import { type MariaDbConnection, MariaDbServer } from '../harness/mariadb.js';
import { eventually, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

async function snapshot(dashboardUrl: string): Promise<DashboardSnapshot> {
  const response = await fetch(`${dashboardUrl}/api/snapshot`);
  return (await response.json()) as DashboardSnapshot;
}

describe('npm start -- --mysql URL --aws', () => {
  let server: MariaDbServer;
  let connection: MariaDbConnection;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  const rekognition = mockClient(RekognitionClient);

  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // What a user's shell would hold for --aws (the SDK never gets to use them: send is mocked).
    // No instance-metadata lookups: nothing here may leave the machine.
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    server = await MariaDbServer.create();
    await server.start();
    connection = await server.createDatabase('stack');
    dataDir = await tempDataDir();
    // DetectFaces as AWS documents it (API_DetectFaces response, Attributes ["ALL"]), trimmed to
    // the fields the mapping reads: one smiling face with glasses and a beard.
    rekognition.on(DetectFacesCommand).resolves({
      FaceDetails: [
        {
          BoundingBox: { Width: 0.31, Height: 0.42, Left: 0.35, Top: 0.2 },
          AgeRange: { Low: 29, High: 37 },
          Smile: { Value: true, Confidence: 97.1 },
          Eyeglasses: { Value: true, Confidence: 98.4 },
          Sunglasses: { Value: false, Confidence: 99.2 },
          Beard: { Value: true, Confidence: 93.5 },
          Mustache: { Value: false, Confidence: 88.3 },
          EyesOpen: { Value: true, Confidence: 96.6 },
          Emotions: [
            { Type: 'HAPPY', Confidence: 95.2 },
            { Type: 'CALM', Confidence: 3.1 },
          ],
          Confidence: 99.98,
        },
      ],
      $metadata: { httpStatusCode: 200 },
    });
  }, 120_000);

  afterAll(async () => {
    process.env = savedEnv;
    rekognition.restore();
    await server?.cleanup();
    await dataDir?.remove();
  });

  it('records the coffee in MySQL with every attribute Rekognition gave, sending the photo bytes', async () => {
    const { host, port, user, password, database } = connection;
    const mysqlUrl = `mysql://${user}:${password}@${host}:${port}/${database}?ssl=off`;
    const stack = await startTestStack(testStackOptions(dataDir.path, { devices: 1, mysqlUrl, aws: true }));
    try {
      expect(stack.databaseUrl).toBe(mysqlUrl);
      await stack.press('coffee-pi-1');
      const coffee = await eventually(
        'the coffee on the dashboard',
        async () => {
          const found = (await snapshot(stack.dashboardUrl)).coffees[0];
          return found;
        },
        45_000,
      );
      expect(coffee).toMatchObject({
        deviceId: 'coffee-pi-1',
        analyzer: 'rekognition',
        smile: true,
        eyeglasses: true,
        sunglasses: false,
        beard: true,
        mustache: false,
        ageLow: 29,
        ageHigh: 37,
      });
      // The local bucket is out of Rekognition's reach: the image went as bytes, a real JPEG.
      const input = rekognition.commandCalls(DetectFacesCommand)[0]?.args[0].input;
      expect(input?.Image?.S3Object).toBeUndefined();
      expect([...(input?.Image?.Bytes ?? []).slice(0, 2)]).toEqual([0xff, 0xd8]);

      const db = await openDatabaseFromUrl(mysqlUrl);
      try {
        const rows = await sql<{
          device_id: string;
          analyzer: string;
        }>`SELECT device_id, analyzer FROM coffees`.execute(db.db);
        expect(rows.rows).toEqual([{ device_id: 'coffee-pi-1', analyzer: 'rekognition' }]);
      } finally {
        await db.close();
      }
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
