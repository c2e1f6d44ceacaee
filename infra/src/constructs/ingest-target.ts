import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';

/**
 * How records reach the lake (docs/costs.md):
 * - `direct` (the default): each topic rule and producer puts straight into its table's Firehose
 *   delivery stream (Direct PUT). Nothing bills while idle, and each delivery stream is billed
 *   only for its own table's records.
 * - `stream`: everything goes through one provisioned Kinesis stream that both delivery streams
 *   (or the Glue streaming job, which needs it) read. A shard bills $10.95 a month whatever the
 *   traffic, and each delivery stream is billed for every record of the stream.
 */
export const INGEST_PATHS = ['direct', 'stream'] as const;
export type IngestPath = (typeof INGEST_PATHS)[number];

/** The variables a producer Lambda reads to find where its records go (cloud/src/stream/ingest-target-config.ts). */
export const INGEST_TARGET_VARIABLES = {
  kinesis: 'INGEST_STREAM_NAME',
  firehose: 'INGEST_DELIVERY_STREAM_NAME',
} as const;

/**
 * Where a producer (the photo Lambda, the CSV import) puts its lake records, and the one right it
 * needs to: the Kinesis ingest stream, or its table's delivery stream.
 */
export interface IngestTarget {
  readonly kind: 'kinesis' | 'firehose';
  /** The producer's environment: exactly one of INGEST_TARGET_VARIABLES, by reference. */
  readonly environment: Readonly<Record<string, string>>;
  /** Lets `grantee` put records there, and nothing else. */
  grantPut(grantee: IGrantable, sid?: string): void;
}

export function streamTarget(stream: IStream): IngestTarget {
  return {
    kind: 'kinesis',
    environment: { [INGEST_TARGET_VARIABLES.kinesis]: stream.streamName },
    grantPut(grantee, sid = 'PutIngestRecords') {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ sid, actions: ['kinesis:PutRecords'], resources: [stream.streamArn] }),
      );
      // A customer-managed key needs its own grant; the stack's stream uses alias/aws/kinesis.
      if (stream.encryptionKey) {
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({
            sid: `${sid}Key`,
            actions: ['kms:GenerateDataKey'],
            resources: [stream.encryptionKey.keyArn],
          }),
        );
      }
    },
  };
}

export function deliveryStreamTarget(deliveryStream: CfnDeliveryStream): IngestTarget {
  return {
    kind: 'firehose',
    environment: { [INGEST_TARGET_VARIABLES.firehose]: deliveryStream.ref },
    grantPut(grantee, sid = 'PutIngestRecords') {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          sid,
          actions: ['firehose:PutRecordBatch'],
          resources: [deliveryStream.attrArn],
        }),
      );
    },
  };
}
