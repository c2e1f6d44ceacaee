import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createFirehoseClient,
  createFirehoseSender,
} from '../../../cloud/src/lake/firehose/firehose-client.js';
import {
  createFirehoseIngestStream,
  type IngestRecord,
  StreamUnavailableError,
} from '../../../cloud/src/stream/index.js';
import { createDirectPutToS3, objectsUnder } from '../harness/moto-firehose.js';
import { MOTO_SERVER_BIN, MOTO_SKIP_REASON, MotoServer } from '../harness/moto-server.js';

/**
 * The Firehose adapter against a real Firehose API (moto_server): a DirectPut delivery stream with
 * an ExtendedS3 destination, read back from the bucket. moto writes one S3 object per
 * PutRecordBatch call holding the call's records' data concatenated, as Firehose's S3 delivery
 * does (no separator), so each object must equal one call's records, byte for byte.
 */
const REGION = 'eu-west-1';
const BUCKET = 'coffee-lake';
const DELIVERY_STREAM = 'coffee-iot-coffees';
const PREFIX = 'raw/coffees/';
const encoder = new TextEncoder();

if (MOTO_SERVER_BIN === undefined) console.warn(MOTO_SKIP_REASON);

describe.skipIf(MOTO_SERVER_BIN === undefined)('Firehose ingest stream on moto_server', () => {
  let moto: MotoServer;
  let firehose: FirehoseClient;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await MotoServer.start();
    firehose = createFirehoseClient(moto.clientConfig(REGION));
    s3 = new S3Client({ ...moto.clientConfig(REGION), forcePathStyle: true });
  });
  afterAll(async () => {
    firehose?.destroy();
    s3?.destroy();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    await createDirectPutToS3(
      moto,
      { region: REGION, bucket: BUCKET, deliveryStream: DELIVERY_STREAM, prefix: PREFIX },
      s3,
    );
  });

  const delivered = () => objectsUnder(s3, BUCKET, PREFIX);

  const hex = (buffers: readonly Uint8Array[]) => buffers.map((b) => Buffer.from(b).toString('hex')).sort();

  it('delivers every record to S3 byte for byte, one object per PutRecordBatch call', async () => {
    const records: IngestRecord[] = [
      { partitionKey: 'coffee-pi-01', data: encoder.encode('{"v":1,"type":"coffee","n":0}\n') },
      { partitionKey: 'café-☕', data: encoder.encode('{"v":1,"thing":"café-☕","note":"crème"}\n') },
      // Bytes that are not UTF-8 at all: Firehose carries data, not text.
      { partitionKey: 'coffee-pi-01', data: Uint8Array.from([0x00, 0xff, 0x80, 0x0a, 0x7b, 0xc3]) },
      { partitionKey: 'coffee-pi-02', data: encoder.encode(`{"pad":"${'x'.repeat(64 * 1024)}"}\n`) },
      { partitionKey: 'coffee-pi-03', data: encoder.encode('{"v":1,"n":4}\n') },
    ];
    const stream = createFirehoseIngestStream({
      send: createFirehoseSender(firehose)(DELIVERY_STREAM),
      deliveryStream: DELIVERY_STREAM,
      // Two records a call, so the adapter's chunking shows as three objects.
      retry: { limits: { maxEntries: 2, maxBatchBytes: 4 * 1024 * 1024, maxRecordBytes: 1_000 * 1024 } },
    });

    await stream.putRecords(records);

    const concat = (from: number, to: number) => Buffer.concat(records.slice(from, to).map((r) => r.data));
    expect(hex(await delivered())).toEqual(hex([concat(0, 2), concat(2, 4), concat(4, 5)]));
  }, 30_000);

  it('names the delivery stream and every record when the stream does not exist, without retrying', async () => {
    const stream = createFirehoseIngestStream({
      send: createFirehoseSender(firehose)('coffee-iot-missing'),
      deliveryStream: 'coffee-iot-missing',
    });
    const error = await stream
      .putRecords([
        { partitionKey: 'coffee-pi-01', data: encoder.encode('{"n":0}') },
        { partitionKey: 'coffee-pi-01', data: encoder.encode('{"n":1}') },
      ])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StreamUnavailableError);
    if (!(error instanceof StreamUnavailableError)) return;
    expect(error.stream).toBe('coffee-iot-missing');
    expect(error.notAccepted).toEqual([0, 1]);
    expect(error.errorCodes).toEqual({ ResourceNotFoundException: 2 });
    expect(error.message).toMatch(
      /^Firehose delivery stream coffee-iot-missing: 2 of 2 record\(s\) not accepted/,
    );
    expect(await delivered()).toEqual([]);
  }, 30_000);
});
