import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { createKinesisIngestStream, type KinesisIngestStreamOptions } from '../../stream/kinesis-stream.js';
import { createFirehoseReingester } from './firehose-reingester.js';
import { createKinesisReingester } from './kinesis-reingester.js';
import type { SendPutRecordBatch } from './put-record-batch.js';
import { type RecordReingester, ReingestFailedError } from './reingest.js';

export interface ReingestClients {
  /** Created once per container. */
  kinesis: KinesisClient;
  /** PutRecordBatch to a named delivery stream (the @aws-sdk/client-firehose adapter). */
  firehose?: (deliveryStream: string) => SendPutRecordBatch;
  /** Retry policy and time for both adapters (tests inject fake time). */
  retry?: KinesisIngestStreamOptions['retry'];
}

/**
 * The re-ingest adapter for an event's source, read from the event itself: a Kinesis-sourced
 * delivery stream's event names the stream (`sourceKinesisStreamArn`), so no environment
 * variable can disagree with it; a DirectPut one goes back into its own delivery stream.
 */
export function reingesterForEvent(
  clients: ReingestClients,
): (event: FirehoseTransformationEvent) => RecordReingester {
  return (event) => {
    const streamArn = event.sourceKinesisStreamArn;
    if (streamArn !== undefined && streamArn !== '') {
      const stream = createKinesisIngestStream({
        client: clients.kinesis,
        streamArn,
        ...(clients.retry === undefined ? {} : { retry: clients.retry }),
      });
      return createKinesisReingester(stream, streamArn);
    }
    if (event.records.some((record) => record.kinesisRecordMetadata != null)) {
      return unavailable(`kinesis:(unknown)`, 'the event has Kinesis records but no sourceKinesisStreamArn');
    }
    const deliveryStream = event.deliveryStreamArn.slice(event.deliveryStreamArn.lastIndexOf('/') + 1);
    if (clients.firehose === undefined) {
      return unavailable(
        `firehose:${deliveryStream}`,
        'no Firehose client is configured for a DirectPut delivery stream',
      );
    }
    return createFirehoseReingester({
      send: clients.firehose(deliveryStream),
      deliveryStream,
      ...(clients.retry === undefined
        ? {}
        : { retry: { retry: clients.retry.retry, timing: clients.retry.timing } }),
    });
  };
}

/** A target that takes nothing: an overflow then fails the invocation (Firehose retries it). */
function unavailable(target: string, why: string): RecordReingester {
  return {
    target,
    canTake: () => true,
    reingest: async (records) => {
      throw new ReingestFailedError(`cannot re-ingest ${records.length} overflow record(s): ${why}`, {
        target,
        notAccepted: records.map((record) => record.recordId),
      });
    },
  };
}
