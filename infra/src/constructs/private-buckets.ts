import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type BucketProps,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';

/** What every coffee-iot bucket is: private, encrypted, TLS 1.2+ only, no ACLs. */
export const PRIVATE_BUCKET: Pick<
  BucketProps,
  'blockPublicAccess' | 'encryption' | 'enforceSSL' | 'minimumTLSVersion' | 'objectOwnership'
> = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
};

/**
 * The `AccessLogs` bucket of a construct whose bucket logs its requests: SSE-S3 (the only
 * encryption S3 server access logs can be delivered to), kept a year, retained on delete.
 */
export function createAccessLogsBucket(scope: Construct): Bucket {
  // Log delivery is granted by a bucket policy, not the LogDeliveryWrite ACL: new buckets have
  // ACLs disabled (BucketOwnerEnforced), whatever the app's feature flags say.
  scope.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
  return new Bucket(scope, 'AccessLogs', {
    ...PRIVATE_BUCKET,
    versioned: false,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
