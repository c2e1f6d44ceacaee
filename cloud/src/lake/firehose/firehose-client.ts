import { FirehoseClient, type FirehoseClientConfig, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
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

export interface FirehoseClientOptions {
  /** Defaults to the SDK's chain (AWS_REGION in Lambda). */
  region?: string;
  /** A local endpoint such as moto_server's; AWS's own when absent. */
  endpoint?: string;
  credentials?: FirehoseClientConfig['credentials'];
}

/** Created once per process (Lambda init); SDK attempts stay at 1 for the reason above. */
export function createFirehoseClient(options: FirehoseClientOptions = {}): FirehoseClient {
  return new FirehoseClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1,
  });
}
