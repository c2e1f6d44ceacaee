import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError, EnvReader } from '../config/env.js';
import { describeIngestTarget, readIngestTarget } from './ingest-target-config.js';
import { openIngestStream } from './open-ingest-stream.js';

function read(env: Record<string, string | undefined>) {
  const reader = new EnvReader(env);
  const target = readIngestTarget(reader);
  reader.done();
  return target;
}

describe('readIngestTarget', () => {
  it('reads a Kinesis stream from INGEST_STREAM_NAME', () => {
    expect(read({ INGEST_STREAM_NAME: 'coffee-ingest' })).toEqual({
      kind: 'kinesis',
      streamName: 'coffee-ingest',
    });
  });

  it('reads a Firehose delivery stream from INGEST_DELIVERY_STREAM_NAME', () => {
    expect(read({ INGEST_DELIVERY_STREAM_NAME: 'coffee-iot-coffees' })).toEqual({
      kind: 'firehose',
      deliveryStream: 'coffee-iot-coffees',
    });
    // A blank variable counts as unset, as everywhere in EnvReader.
    expect(
      read({ INGEST_STREAM_NAME: ' ', INGEST_DELIVERY_STREAM_NAME: 'coffee-iot-coffees' }),
    ).toMatchObject({
      kind: 'firehose',
    });
  });

  it('refuses neither and both, naming both variables', () => {
    expect(() => read({})).toThrow(
      new EnvironmentError([
        'set exactly one of INGEST_STREAM_NAME (a Kinesis stream) or INGEST_DELIVERY_STREAM_NAME (a Firehose delivery stream, Direct PUT), got neither',
      ]),
    );
    expect(() =>
      read({ INGEST_STREAM_NAME: 'coffee-ingest', INGEST_DELIVERY_STREAM_NAME: 'coffee-iot-coffees' }),
    ).toThrow(
      new EnvironmentError([
        'set exactly one of INGEST_STREAM_NAME (a Kinesis stream) or INGEST_DELIVERY_STREAM_NAME (a Firehose delivery stream, Direct PUT), got both (INGEST_STREAM_NAME="coffee-ingest", INGEST_DELIVERY_STREAM_NAME="coffee-iot-coffees")',
      ]),
    );
  });

  it('names the target the way reports do', () => {
    expect(describeIngestTarget({ kind: 'kinesis', streamName: 'coffee-ingest' })).toBe(
      'Kinesis stream coffee-ingest',
    );
    expect(describeIngestTarget({ kind: 'firehose', deliveryStream: 'coffee-iot-coffees' })).toBe(
      'Firehose delivery stream coffee-iot-coffees',
    );
  });
});

describe('openIngestStream', () => {
  // Class-level mocks: openIngestStream creates its own clients.
  const kinesis = mockClient(KinesisClient);
  const firehose = mockClient(FirehoseClient);
  const record = { partitionKey: 'coffee-pi-01', data: new TextEncoder().encode('{"thing":"coffee-pi-01"}') };
  beforeEach(() => {
    kinesis.reset();
    firehose.reset();
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    firehose
      .on(PutRecordBatchCommand)
      .resolves({ FailedPutCount: 0, Encrypted: false, RequestResponses: [{ RecordId: 'r1' }] });
  });
  afterAll(() => {
    kinesis.restore();
    firehose.restore();
  });

  it('puts on the Kinesis stream for a Kinesis target, and nothing on Firehose', async () => {
    const opened = openIngestStream(
      { kind: 'kinesis', streamName: 'coffee-ingest' },
      { region: 'eu-west-1' },
    );
    await opened.stream.putRecords([record]);
    opened.close();
    expect(opened.description).toBe('Kinesis stream coffee-ingest');
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.StreamName)).toEqual([
      'coffee-ingest',
    ]);
    expect(firehose.calls()).toHaveLength(0);
  });

  it('puts on the delivery stream for a Firehose target, one record per line, and nothing on Kinesis', async () => {
    const opened = openIngestStream(
      { kind: 'firehose', deliveryStream: 'coffee-iot-coffees' },
      { region: 'eu-west-1' },
    );
    await opened.stream.putRecords([record]);
    opened.close();
    expect(opened.description).toBe('Firehose delivery stream coffee-iot-coffees');
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls.map((c) => c.args[0].input.DeliveryStreamName)).toEqual(['coffee-iot-coffees']);
    // Newline-ended, as the telemetry rule's records are: raw/ keeps one record per line.
    expect(calls[0]?.args[0].input.Records?.map((r) => new TextDecoder().decode(r.Data))).toEqual([
      '{"thing":"coffee-pi-01"}\n',
    ]);
    expect(kinesis.calls()).toHaveLength(0);
  });

  it('waits as long as the retry policy given says before giving up', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }],
    });
    const opened = openIngestStream(
      { kind: 'firehose', deliveryStream: 'coffee-iot-coffees' },
      { region: 'eu-west-1', retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 } },
    );
    await expect(opened.stream.putRecords([record])).rejects.toThrow(
      /Firehose delivery stream coffee-iot-coffees/,
    );
    opened.close();
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(2);
  });
});
