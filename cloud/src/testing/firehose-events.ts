import type { FirehoseTransformationEvent } from 'aws-lambda';

/** The ingest stream the Firehose tests' events come from. */
export const FIREHOSE_STREAM_ARN = 'arn:aws:kinesis:eu-west-1:111122223333:stream/coffee-iot-ingest';
/** When the first record of a test event reached the stream (the next ones 1 ms apart). */
export const FIREHOSE_ARRIVAL_MS = Date.UTC(2026, 10, 26, 10, 0, 30, 123);

/**
 * A Firehose transformation event in the shape AWS documents, for a Kinesis source (each record
 * with its partition key, default coffee-pi-1) or a DirectPut delivery stream.
 */
export function firehoseEvent(
  payloads: readonly string[],
  partitionKeys: readonly string[] = [],
  source: 'kinesis' | 'direct-put' = 'kinesis',
  firstSequence = 6_785_154,
): FirehoseTransformationEvent {
  return {
    invocationId: '2b4d1ad9-2f48-94bd-a088-767c317e994a',
    ...(source === 'kinesis' ? { sourceKinesisStreamArn: FIREHOSE_STREAM_ARN } : {}),
    deliveryStreamArn: 'arn:aws:firehose:eu-west-1:111122223333:deliverystream/coffee-iot-telemetry',
    region: 'eu-west-1',
    records: payloads.map((payload, i) => {
      const sequenceNumber = `4954698668313554428650745793632162567570019247115${String(firstSequence + i)}`;
      return {
        recordId: `${sequenceNumber}000000000000`,
        approximateArrivalTimestamp: FIREHOSE_ARRIVAL_MS + 60_000,
        data: Buffer.from(payload).toString('base64'),
        ...(source === 'kinesis'
          ? {
              kinesisRecordMetadata: {
                shardId: `shardId-00000000000${i % 2}`,
                partitionKey: partitionKeys[i] ?? 'coffee-pi-1',
                approximateArrivalTimestamp: FIREHOSE_ARRIVAL_MS + i,
                sequenceNumber,
                subsequenceNumber: '0',
              },
            }
          : {}),
      };
    }),
  };
}
