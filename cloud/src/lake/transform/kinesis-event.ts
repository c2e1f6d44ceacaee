import type { KinesisStreamEvent } from 'aws-lambda';
import type { IngestInput } from '../transform-types.js';

/**
 * A Lambda Kinesis event's records as transform inputs: the record is named by its sequence
 * number, its bytes are the base64 `data`, and it arrived at `approximateArrivalTimestamp`
 * (seconds since the epoch with millisecond decimals, as AWS documents for this event).
 */
export function ingestInputsOfKinesisEvent(event: KinesisStreamEvent): IngestInput[] {
  return event.Records.map(({ kinesis }) => ({
    id: kinesis.sequenceNumber,
    data: Buffer.from(kinesis.data, 'base64'),
    // Rounded: 1545084650.987 × 1000 is 1545084650986.9998 in binary floating point.
    arrivedAt: new Date(Math.round(kinesis.approximateArrivalTimestamp * 1000)),
    // The topic rule's partition key is the topic's thing: the identity the payload must match.
    partitionKey: kinesis.partitionKey,
  }));
}
