import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { SendPutRecordBatch } from './put-record-batch.js';

/**
 * The Firehose adapter (the only module importing its SDK): PutRecordBatch to one delivery
 * stream. SDK retries are off: putRecordBatchAll resends only the entries that failed, and the
 * SDK's own retries would multiply its attempts.
 */
export function createFirehoseSender(client: FirehoseClient): (deliveryStream: string) => SendPutRecordBatch {
  return (deliveryStream) => (records) =>
    client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: deliveryStream,
        Records: records.map((Data) => ({ Data })),
      }),
    );
}

export function createFirehoseClient(): FirehoseClient {
  return new FirehoseClient({ maxAttempts: 1 });
}
