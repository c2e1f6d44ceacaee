import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MOTO_ACCOUNT, type MotoServer } from './moto-server.js';

export interface DirectPutToS3 {
  region: string;
  bucket: string;
  deliveryStream: string;
  /** Where the delivery stream writes in the bucket. */
  prefix: string;
}

/**
 * A bucket and a Direct PUT delivery stream writing into it, on moto_server: what the stack's
 * direct ingest path is, minus the transform. moto writes one object per put call, holding the
 * call's records' data joined with nothing between them, as Firehose's S3 delivery does.
 */
export async function createDirectPutToS3(
  moto: MotoServer,
  target: DirectPutToS3,
  s3: S3Client,
): Promise<void> {
  await s3.send(
    new CreateBucketCommand({
      Bucket: target.bucket,
      CreateBucketConfiguration: { LocationConstraint: target.region as BucketLocationConstraint },
    }),
  );
  const firehose = new FirehoseClient(moto.clientConfig(target.region));
  try {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: target.deliveryStream,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${target.bucket}`,
          RoleARN: `arn:aws:iam::${MOTO_ACCOUNT}:role/coffee-iot-firehose`,
          Prefix: target.prefix,
        },
      }),
    );
  } finally {
    firehose.destroy();
  }
}

/** Every object under `prefix`, as bytes; in no particular order (moto's keys carry a random suffix). */
export async function objectsUnder(s3: S3Client, bucket: string, prefix: string): Promise<Buffer[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    }),
  );
}
