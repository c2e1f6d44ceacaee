import type { FirehoseTransformationEvent, FirehoseTransformationEventRecord } from 'aws-lambda';
import type { IngestInput } from '../transform-types.js';

/** A Firehose record as the transform sees it, with what re-ingesting it needs. */
export interface FirehoseInput extends IngestInput {
  /** The record's base64 data exactly as Firehose sent it (answered back for ProcessingFailed). */
  base64: string;
  /** The Kinesis partition key (the device id) when the source is a Kinesis stream. */
  partitionKey: string | undefined;
  /** The Kinesis sequence number, to follow a record in the logs; undefined for DirectPut. */
  sequenceNumber: string | undefined;
}

/**
 * The Firehose transformation event's records as transform inputs. Times in this event are
 * milliseconds since the epoch. For a Kinesis source the arrival is the stream's (kinesisRecordMetadata),
 * the moment the Glue job and the local lake also use for ingest_*; for DirectPut it is
 * Firehose's own.
 */
export function firehoseInputsOf(event: FirehoseTransformationEvent): FirehoseInput[] {
  // Every record decoded into one buffer, each input's data a view of its part: one allocation
  // per event instead of one per record (less for the garbage collector). The same decoder as
  // Buffer.from(data, 'base64'), so the same bytes.
  let capacity = 0;
  for (const record of event.records) capacity += Math.ceil(record.data.length / 4) * 3;
  const decoded = Buffer.allocUnsafeSlow(capacity);
  let offset = 0;
  // Records of one PutRecords call share their arrival: one Date for a run of them (never mutated).
  let arrivedAt = new Date(Number.NaN);
  return event.records.map((record: FirehoseTransformationEventRecord) => {
    const metadata = record.kinesisRecordMetadata;
    const length = decoded.write(record.data, offset, 'base64');
    const data = decoded.subarray(offset, offset + length);
    offset += length;
    const arrival = metadata?.approximateArrivalTimestamp ?? record.approximateArrivalTimestamp;
    if (arrival !== arrivedAt.getTime()) arrivedAt = new Date(arrival);
    return {
      id: record.recordId,
      data,
      base64: record.data,
      arrivedAt,
      partitionKey: metadata?.partitionKey,
      sequenceNumber: metadata?.sequenceNumber,
    };
  });
}
