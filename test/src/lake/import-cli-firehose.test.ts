import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runImport } from '../../../cloud/src/cli/commands/import.js';
import { createDirectPutToS3, objectsUnder } from '../harness/moto-firehose.js';
import { MOTO_SERVER_BIN, MOTO_SKIP_REASON, MotoServer } from '../harness/moto-server.js';
import { HEADER, IMPORT_NOW, type TelemetryRecord } from './import-fixtures.js';

/**
 * `coffee-iot import --delivery-stream`: a stack on the default direct path has no Kinesis stream,
 * so a backfill goes into the telemetry delivery stream (moto_server's Firehose, delivering to its
 * S3), one telemetry record per line of each object, as the topic rule's records are.
 */
const REGION = 'eu-west-1';
const BUCKET = 'coffee-lake';
const DELIVERY_STREAM = 'coffee-iot-telemetry';
const PREFIX = 'raw/';

if (MOTO_SERVER_BIN === undefined) console.warn(MOTO_SKIP_REASON);

describe.skipIf(MOTO_SERVER_BIN === undefined)('coffee-iot import into a Firehose delivery stream', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let dir: string;

  beforeAll(async () => {
    moto = await MotoServer.start();
    s3 = new S3Client({ ...moto.clientConfig(REGION), forcePathStyle: true });
    await createDirectPutToS3(
      moto,
      { region: REGION, bucket: BUCKET, deliveryStream: DELIVERY_STREAM, prefix: PREFIX },
      s3,
    );
    dir = await mkdtemp(join(tmpdir(), 'import-firehose-'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('puts every good line into the delivery stream and names it in the report', async () => {
    const start = Date.parse('2026-03-19T08:00:00.000Z');
    const lines = Array.from(
      { length: 25 },
      (_, i) => `coffee-pi-${1 + (i % 2)},${new Date(start + i * 1000).toISOString()},21.5,40,1013,1,2,3`,
    );
    await writeFile(join(dir, 'backfill.csv'), `${HEADER}\n${lines.join('\n')}\n`);
    const { endpoint, credentials } = moto.clientConfig(REGION);
    // The command's SDK client reads credentials from the environment, as it would for a user.
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    let stdout = '';
    let clock = IMPORT_NOW.getTime();
    const code = await runImport(
      ['backfill.csv', '--delivery-stream', DELIVERY_STREAM, '--region', REGION, '--endpoint', endpoint],
      {
        env: {},
        cwd: dir,
        now: () => {
          clock += 1_000;
          return new Date(clock);
        },
        stdout: {
          write: (text: string) => {
            stdout += text;
          },
        },
        stderr: { write: () => true, isTTY: false },
      } as unknown as Parameters<typeof runImport>[1],
    );

    expect(stdout).toContain(`Firehose delivery stream ${DELIVERY_STREAM}`);
    expect(code).toBe(0);
    const records: TelemetryRecord[] = (await objectsUnder(s3, BUCKET, PREFIX)).flatMap((object) =>
      object
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as TelemetryRecord),
    );
    const readings = records.flatMap((record) =>
      record.readings.map((reading) => [record.thing, record.deviceId, reading.ts] as const),
    );
    expect(readings).toHaveLength(25);
    for (const [thing, deviceId] of readings) expect(thing).toBe(deviceId);
    expect(new Set(readings.map(([, , ts]) => ts)).size).toBe(25);
  });
});
