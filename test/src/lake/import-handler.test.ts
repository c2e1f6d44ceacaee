import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readCsvImportConfig } from '../../../cloud/src/lake/import/index.js';
import { objectCreatedRecord } from '../../../cloud/src/testing/s3-notifications.js';
import { importFixturePath, type TelemetryRecord } from './import-fixtures.js';

// The handler module wires real SDK clients; these mocks stand in for S3 and Kinesis so the test
// checks the wiring (environment, stream name, report key) without a network. The behaviour against
// a real S3 API is in import-lambda.test.ts.
const s3 = mockClient(S3Client);
const kinesis = mockClient(KinesisClient);
const firehose = mockClient(FirehoseClient);

function body(bytes: Buffer): GetObjectCommandOutput['Body'] {
  return Object.assign(Readable.from([bytes]), {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async () => bytes.toString('utf8'),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  });
}

describe('CSV import Lambda handler', () => {
  beforeEach(() => {
    s3.reset();
    kinesis.reset();
    firehose.reset();
    vi.resetModules();
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(() => {
    s3.restore();
    kinesis.restore();
    firehose.restore();
  });

  it('imports into the stream named by INGEST_STREAM_NAME and writes the report under imports/reports/', async () => {
    vi.stubEnv('INGEST_STREAM_NAME', 'coffee-ingest');
    vi.stubEnv('LOG_LEVEL', 'silent');
    const csv = await readFile(importFixturePath('readings-with-bad-lines.csv'));
    s3.on(GetObjectCommand).resolves({ Body: body(csv), ContentLength: csv.length, $metadata: {} });
    s3.on(PutObjectCommand).resolves({ $metadata: {} });
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map((_, i) => ({
        SequenceNumber: String(i + 1),
        ShardId: 'shardId-000000000000',
      })),
    }));
    const { handler } = await import('../../../cloud/src/handlers/csv-import.js');

    const summary = await handler({
      Records: [
        objectCreatedRecord({ bucket: 'coffee-data', encodedKey: 'imports/old+pi.csv', size: csv.length }),
      ],
    });

    expect(summary.imports).toEqual([
      {
        key: 'imports/old pi.csv',
        reportKey: 'imports/reports/old pi.json',
        status: 'imported-with-refusals',
        accepted: 5,
        refused: 6,
      },
    ]);
    const put = kinesis.commandCalls(PutRecordsCommand);
    expect(put).toHaveLength(1);
    expect(put[0]?.args[0].input.StreamName).toBe('coffee-ingest');
    const records = (put[0]?.args[0].input.Records ?? []).map(
      (r) => JSON.parse(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')) as TelemetryRecord,
    );
    expect(records.map((r) => [r.deviceId, r.readings.length])).toEqual([
      ['coffee-pi-1', 3],
      ['coffee-pi-2', 2],
    ]);
    const report = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(report).toMatchObject({ Bucket: 'coffee-data', Key: 'imports/reports/old pi.json' });
    expect(JSON.parse(String(report?.Body))).toMatchObject({ status: 'imported-with-refusals' });
  });

  it('imports into the delivery stream named by INGEST_DELIVERY_STREAM_NAME, with no Kinesis call', async () => {
    vi.stubEnv('INGEST_DELIVERY_STREAM_NAME', 'coffee-iot-telemetry');
    vi.stubEnv('LOG_LEVEL', 'silent');
    const csv = await readFile(importFixturePath('readings-with-bad-lines.csv'));
    s3.on(GetObjectCommand).resolves({ Body: body(csv), ContentLength: csv.length, $metadata: {} });
    s3.on(PutObjectCommand).resolves({ $metadata: {} });
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 0,
      Encrypted: false,
      RequestResponses: input.Records.map((_, i) => ({ RecordId: `record-${i}` })),
    }));
    const { handler } = await import('../../../cloud/src/handlers/csv-import.js');

    const summary = await handler({
      Records: [
        objectCreatedRecord({ bucket: 'coffee-data', encodedKey: 'imports/old.csv', size: csv.length }),
      ],
    });

    expect(summary.imports).toMatchObject([{ status: 'imported-with-refusals', accepted: 5, refused: 6 }]);
    expect(kinesis.calls()).toHaveLength(0);
    const put = firehose.commandCalls(PutRecordBatchCommand);
    expect(put).toHaveLength(1);
    expect(put[0]?.args[0].input.DeliveryStreamName).toBe('coffee-iot-telemetry');
    const records = (put[0]?.args[0].input.Records ?? []).map(
      (r) => JSON.parse(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')) as TelemetryRecord,
    );
    expect(records.map((r) => [r.deviceId, r.readings.length])).toEqual([
      ['coffee-pi-1', 3],
      ['coffee-pi-2', 2],
    ]);
  });

  it('fails at start-up naming every bad variable', async () => {
    vi.stubEnv('INGEST_STREAM_NAME', '');
    vi.stubEnv('IMPORT_MAX_REFUSED_DETAILS', 'lots');
    await expect(import('../../../cloud/src/handlers/csv-import.js')).rejects.toThrow(
      'invalid environment: set exactly one of INGEST_STREAM_NAME (a Kinesis stream) or INGEST_DELIVERY_STREAM_NAME (a Firehose delivery stream, Direct PUT), got neither; IMPORT_MAX_REFUSED_DETAILS must be a number from 0 to 1000000, got "lots"',
    );
    expect(readCsvImportConfig({ INGEST_STREAM_NAME: 'coffee-ingest' })).toEqual({
      ingest: { kind: 'kinesis', streamName: 'coffee-ingest' },
      maxRefusedDetails: 10_000,
    });
    expect(() =>
      readCsvImportConfig({
        INGEST_STREAM_NAME: 'coffee-ingest',
        INGEST_DELIVERY_STREAM_NAME: 'coffee-iot-telemetry',
      }),
    ).toThrow(/got both/);
  });
});
