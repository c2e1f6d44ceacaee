import type { EnvReader } from '../config/env.js';

/** The Kinesis ingest stream, by name: records go through it to the delivery streams. */
export const INGEST_STREAM_VARIABLE = 'INGEST_STREAM_NAME';
/** A Firehose delivery stream fed by Direct PUT, by name: the cheaper path without a Kinesis stream. */
export const INGEST_DELIVERY_STREAM_VARIABLE = 'INGEST_DELIVERY_STREAM_NAME';

/** Where a Lambda puts its ingest records: exactly one of the two. */
export type IngestTarget =
  | { kind: 'kinesis'; streamName: string }
  | { kind: 'firehose'; deliveryStream: string };

/**
 * Reads INGEST_STREAM_NAME or INGEST_DELIVERY_STREAM_NAME, whichever the stack set. Exactly one
 * must be: neither leaves nowhere to put records, and both would leave the choice to this code
 * when it belongs to the deployment (a record put on one path is not seen on the other). Either
 * mistake is reported through `read`, naming both variables, with the other problems it finds.
 */
export function readIngestTarget(read: EnvReader): IngestTarget {
  const streamName = read.optionalString(INGEST_STREAM_VARIABLE);
  const deliveryStream = read.optionalString(INGEST_DELIVERY_STREAM_VARIABLE);
  if (streamName !== undefined && deliveryStream === undefined) return { kind: 'kinesis', streamName };
  if (deliveryStream !== undefined && streamName === undefined) return { kind: 'firehose', deliveryStream };
  const got =
    streamName === undefined
      ? 'got neither'
      : `got both (${INGEST_STREAM_VARIABLE}="${streamName}", ${INGEST_DELIVERY_STREAM_VARIABLE}="${deliveryStream}")`;
  read.problem(
    `set exactly one of ${INGEST_STREAM_VARIABLE} (a Kinesis stream) or ${INGEST_DELIVERY_STREAM_VARIABLE} ` +
      `(a Firehose delivery stream, Direct PUT), ${got}`,
  );
  // Never used: read.done() throws before anyone can.
  return { kind: 'kinesis', streamName: '' };
}

/** "Kinesis stream NAME" / "Firehose delivery stream NAME", for logs and reports. */
export function describeIngestTarget(target: IngestTarget): string {
  return target.kind === 'kinesis'
    ? `Kinesis stream ${target.streamName}`
    : `Firehose delivery stream ${target.deliveryStream}`;
}
