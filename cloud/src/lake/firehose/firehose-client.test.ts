import { FirehoseClient, PutRecordBatchCommand, ServiceUnavailableException } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createFirehoseSender } from './firehose-client.js';
import { createFirehoseReingester } from './firehose-reingester.js';
import { ReingestFailedError } from './reingest.js';

const firehose = mockClient(FirehoseClient);
const encoder = new TextEncoder();
const records = ['a', 'b', 'c'].map((id) => ({
  recordId: `record-${id}`,
  partitionKey: 'coffee-pi-01',
  data: encoder.encode(`{"id":"${id}","reingested":1}`),
  reingested: 1,
}));
const noWait = { sleep: async () => {}, random: () => 0 };

describe('Firehose PutRecordBatch adapter', () => {
  afterEach(() => firehose.reset());

  it('sends the records to the delivery stream and resends only the entries with an ErrorCode', async () => {
    // PutRecordBatch's documented answer: RequestResponses in request order, RecordId or ErrorCode.
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        Encrypted: false,
        RequestResponses: [
          { RecordId: '49543463076548007577105092703039560359975228518395019266' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
          { RecordId: '49543463076570308322303623326179887152428262250726293522' },
        ],
      })
      .resolvesOnce({
        FailedPutCount: 0,
        Encrypted: false,
        RequestResponses: [{ RecordId: '49543463076570308322303623326179887152428262250726293588' }],
      });
    const reingester = createFirehoseReingester({
      send: createFirehoseSender(new FirehoseClient({ region: 'eu-west-1' }))('coffee-iot-telemetry'),
      deliveryStream: 'coffee-iot-telemetry',
      retry: { timing: noWait },
    });

    await reingester.reingest(records);

    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input.DeliveryStreamName).toBe('coffee-iot-telemetry');
    expect(calls[0]?.args[0].input.Records?.map((r) => new TextDecoder().decode(r.Data))).toEqual([
      '{"id":"a","reingested":1}',
      '{"id":"b","reingested":1}',
      '{"id":"c","reingested":1}',
    ]);
    expect(calls[1]?.args[0].input.Records?.map((r) => new TextDecoder().decode(r.Data))).toEqual([
      '{"id":"b","reingested":1}',
    ]);
  });

  it('names the records it could not put back when the delivery stream stays unavailable', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejects(
        new ServiceUnavailableException({ message: 'Slow down.', $metadata: { httpStatusCode: 503 } }),
      );
    const reingester = createFirehoseReingester({
      send: createFirehoseSender(new FirehoseClient({ region: 'eu-west-1' }))('coffee-iot-telemetry'),
      deliveryStream: 'coffee-iot-telemetry',
      retry: { retry: { maxAttempts: 3 }, timing: noWait },
    });

    const error = await reingester.reingest(records).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReingestFailedError);
    expect((error as ReingestFailedError).notAccepted).toEqual(['record-a', 'record-b', 'record-c']);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });
});
