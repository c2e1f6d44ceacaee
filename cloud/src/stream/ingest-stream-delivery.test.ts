import {
  FirehoseClient,
  ResourceNotFoundException as FirehoseResourceNotFoundException,
  PutRecordBatchCommand,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import {
  KinesisClient,
  ResourceNotFoundException as KinesisResourceNotFoundException,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createFirehoseSender } from '../lake/firehose/firehose-client.js';
import {
  FIREHOSE_PUT_RECORD_BATCH_LIMITS,
  type PutRecordBatchResponse,
  type SendPutRecordBatch,
} from '../lake/firehose/put-record-batch.js';
import {
  type CallAnswer,
  describeIngestStreamDeliveryContract,
  type EntryRefusal,
  type IngestStreamUnderTest,
  type Script,
} from '../testing/ingest-stream-delivery-contract.js';
import { recordBytes } from './chunk-records.js';
import { createFirehoseIngestStream } from './firehose-ingest-stream.js';
import { createKinesisIngestStream } from './kinesis-stream.js';
import { KINESIS_PUT_RECORDS_LIMITS } from './put-records-limits.js';

const decoder = new TextDecoder();
const $metadata = { httpStatusCode: 200, requestId: 'c0ffee00-0000-4000-8000-000000000000' };
const STREAM = 'coffee-ingest';
const DELIVERY_STREAM = 'coffee-iot-coffees';

/** Clients to restore after each test. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

// --- Kinesis: the real adapter, its SDK client answering PutRecords in AWS's documented shapes.

const KINESIS_CODES = {
  throttled: 'ProvisionedThroughputExceededException',
  internal: 'InternalFailure',
  missing: 'ResourceNotFoundException',
} as const;

function kinesisCallError(fail: 'throttled' | 'missing'): Error {
  return fail === 'throttled'
    ? new ProvisionedThroughputExceededException({
        message: `Rate exceeded for stream ${STREAM} under account 111122223333.`,
        $metadata: { httpStatusCode: 400 },
      })
    : new KinesisResourceNotFoundException({
        message: `Stream ${STREAM} under account 111122223333 not found.`,
        $metadata: { httpStatusCode: 400 },
      });
}

function kinesisAnswer(sent: number, answer: CallAnswer): PutRecordsCommandOutput {
  const refuse: Readonly<Record<number, EntryRefusal>> = 'refuse' in answer ? (answer.refuse ?? {}) : {};
  return {
    $metadata,
    FailedRecordCount: Object.keys(refuse).length,
    Records: Array.from({ length: sent }, (_, i) => {
      const refusal = refuse[i];
      if (refusal === undefined) {
        return {
          SequenceNumber: `4954698668313554428650745793632162567570019247115678515${i}`,
          ShardId: 'shardId-000000000000',
        };
      }
      return { ErrorCode: KINESIS_CODES[refusal], ErrorMessage: `${refusal} in the fake` };
    }),
  };
}

function kinesisSubject(): IngestStreamUnderTest {
  const client = new KinesisClient({ region: 'eu-west-1' });
  const kinesis = mockClient(client);
  cleanups.push(() => {
    kinesis.restore();
    client.destroy();
  });
  const calls: string[][] = [];
  return {
    open(script, retry) {
      kinesis.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommand['input']) => {
        const sent = (input.Records ?? []).map((r) => decoder.decode(r.Data));
        calls.push(sent);
        const answer = script(calls.length, sent);
        if ('fail' in answer) throw kinesisCallError(answer.fail);
        return kinesisAnswer(sent.length, answer);
      });
      return createKinesisIngestStream({ client, streamName: STREAM, retry });
    },
    calls: () => calls,
    stream: STREAM,
    codes: KINESIS_CODES,
    maxEntries: KINESIS_PUT_RECORDS_LIMITS.maxEntries,
    recordBytes,
    maxRecordBytes: KINESIS_PUT_RECORDS_LIMITS.maxRecordBytes,
  };
}

// --- Firehose: PutRecordBatch answers in AWS's documented shapes (RequestResponses in order).

const FIREHOSE_CODES = {
  throttled: 'ServiceUnavailableException',
  internal: 'InternalFailure',
  missing: 'ResourceNotFoundException',
} as const;

function firehoseCallError(fail: 'throttled' | 'missing'): Error {
  return fail === 'throttled'
    ? new ServiceUnavailableException({ message: 'Slow down.', $metadata: { httpStatusCode: 503 } })
    : new FirehoseResourceNotFoundException({
        message: `Firehose ${DELIVERY_STREAM} under account 111122223333 not found.`,
        $metadata: { httpStatusCode: 400 },
      });
}

function firehoseAnswer(sent: number, answer: CallAnswer): PutRecordBatchResponse {
  const refuse: Readonly<Record<number, EntryRefusal>> = 'refuse' in answer ? (answer.refuse ?? {}) : {};
  return {
    FailedPutCount: Object.keys(refuse).length,
    Encrypted: false,
    RequestResponses: Array.from({ length: sent }, (_, i) => {
      const refusal = refuse[i];
      if (refusal === undefined)
        return { RecordId: `9Kf1mVNdBzWPFdVtTmP8p3Xc7${String(i).padStart(4, '0')}` };
      return {
        ErrorCode: FIREHOSE_CODES[refusal],
        ErrorMessage: refusal === 'throttled' ? 'Slow down.' : 'Internal failure.',
      };
    }),
  };
}

const firehoseShape = {
  stream: DELIVERY_STREAM,
  codes: FIREHOSE_CODES,
  maxEntries: FIREHOSE_PUT_RECORD_BATCH_LIMITS.maxEntries,
  // Direct PUT counts the data alone: there is no partition key.
  recordBytes: (record: { data: Uint8Array }) => record.data.byteLength,
  maxRecordBytes: FIREHOSE_PUT_RECORD_BATCH_LIMITS.maxRecordBytes,
};

/** The adapter with a scripted `send` in place of the SDK. */
function firehoseFakeSendSubject(): IngestStreamUnderTest {
  const calls: string[][] = [];
  return {
    ...firehoseShape,
    open(script: Script, retry) {
      const send: SendPutRecordBatch = async (records) => {
        const sent = records.map((data) => decoder.decode(data));
        calls.push(sent);
        const answer = script(calls.length, sent);
        if ('fail' in answer) throw firehoseCallError(answer.fail);
        return firehoseAnswer(sent.length, answer);
      };
      return createFirehoseIngestStream({ send, deliveryStream: DELIVERY_STREAM, retry });
    },
    calls: () => calls,
  };
}

/** The adapter over createFirehoseSender, its SDK client answering PutRecordBatchCommand. */
function firehoseSdkSubject(): IngestStreamUnderTest {
  const client = new FirehoseClient({ region: 'eu-west-1' });
  const firehose = mockClient(client);
  cleanups.push(() => {
    firehose.restore();
    client.destroy();
  });
  const calls: string[][] = [];
  return {
    ...firehoseShape,
    open(script, retry) {
      firehose.on(PutRecordBatchCommand).callsFake(async (input: PutRecordBatchCommand['input']) => {
        if (input.DeliveryStreamName !== DELIVERY_STREAM)
          throw new Error(`sent to ${input.DeliveryStreamName}`);
        const sent = (input.Records ?? []).map((r) => decoder.decode(r.Data));
        calls.push(sent);
        const answer = script(calls.length, sent);
        if ('fail' in answer) throw firehoseCallError(answer.fail);
        return { $metadata, ...firehoseAnswer(sent.length, answer) };
      });
      return createFirehoseIngestStream({
        send: createFirehoseSender(client)(DELIVERY_STREAM),
        deliveryStream: DELIVERY_STREAM,
        retry,
      });
    },
    calls: () => calls,
  };
}

describeIngestStreamDeliveryContract('Kinesis adapter (PutRecords)', kinesisSubject);
describeIngestStreamDeliveryContract('Firehose adapter, scripted PutRecordBatch', firehoseFakeSendSubject);
describeIngestStreamDeliveryContract('Firehose adapter through the SDK sender', firehoseSdkSubject);

describe('createFirehoseIngestStream', () => {
  it('ends each record with the terminator it is given, once, so raw/ holds one record per line', async () => {
    const sent: string[][] = [];
    const stream = createFirehoseIngestStream({
      send: async (records) => {
        sent.push(records.map((r) => Buffer.from(r).toString('utf8')));
        return { FailedPutCount: 0, RequestResponses: records.map((_, i) => ({ RecordId: `r${i}` })) };
      },
      deliveryStream: DELIVERY_STREAM,
      recordTerminator: '\n',
    });
    await stream.putRecords([
      { partitionKey: 'a', data: Buffer.from('{"n":1}') },
      { partitionKey: 'a', data: Buffer.from('{"n":2}\n') },
    ]);
    expect(sent).toEqual([['{"n":1}\n', '{"n":2}\n']]);
  });

  const encoder = new TextEncoder();

  it('drops partition keys: Direct PUT records are their data alone, an empty key included', async () => {
    const client = new FirehoseClient({ region: 'eu-west-1' });
    const firehose = mockClient(client);
    cleanups.push(() => {
      firehose.restore();
      client.destroy();
    });
    firehose.on(PutRecordBatchCommand).callsFake(async (input: PutRecordBatchCommand['input']) => ({
      $metadata,
      ...firehoseAnswer(input.Records?.length ?? 0, {}),
    }));
    const stream = createFirehoseIngestStream({
      send: createFirehoseSender(client)(DELIVERY_STREAM),
      deliveryStream: DELIVERY_STREAM,
    });
    await stream.putRecords([
      { partitionKey: 'coffee-pi-01', data: encoder.encode('{"thing":"coffee-pi-01"}') },
      { partitionKey: '', data: encoder.encode('{"thing":"coffee-pi-02"}') },
    ]);
    const input = firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(input?.DeliveryStreamName).toBe(DELIVERY_STREAM);
    expect(input?.Records?.map((r) => Object.keys(r))).toEqual([['Data'], ['Data']]);
    expect(input?.Records?.map((r) => decoder.decode(r.Data))).toEqual([
      '{"thing":"coffee-pi-01"}',
      '{"thing":"coffee-pi-02"}',
    ]);
  });

  it('says "Firehose delivery stream" in its errors', async () => {
    const stream = createFirehoseIngestStream({
      send: async () => Promise.reject(firehoseCallError('missing')),
      deliveryStream: DELIVERY_STREAM,
    });
    await expect(
      stream.putRecords([{ partitionKey: 'coffee-pi-01', data: encoder.encode('{}') }]),
    ).rejects.toThrow(/^Firehose delivery stream coffee-iot-coffees: 1 of 1 record\(s\) not accepted/);
  });

  it('refuses to be created without a delivery stream name', () => {
    expect(() => createFirehoseIngestStream({ send: async () => ({}), deliveryStream: '' })).toThrow(
      /needs a deliveryStream name/,
    );
  });
});
