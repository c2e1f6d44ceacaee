import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '@coffee-iot/cloud';
import { LOCAL_PHOTO_BUCKET, type LocalS3, startLocalS3 } from '../../s3/local-s3.js';
import { listenOrExplain } from '../stack-errors.js';
import type { RunningPart } from '../stack-parts.js';

export interface BucketPart extends RunningPart {
  s3: LocalS3;
  /** Made by the cloud workspace's createS3Client, as the photo Lambda makes its own. */
  client: S3Client;
  readPhoto(bucket: string, key: string): Promise<Uint8Array>;
}

/** The photo bucket: s3rver with its files in the data directory. */
export async function startBucketPart(dataDir: string, port: number): Promise<BucketPart> {
  const s3 = await listenOrExplain('local S3', port, '--s3-port', () =>
    startLocalS3(join(dataDir, 's3'), port),
  );
  const client = createS3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    // s3rver's fixed dev key pair; it accepts no other.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    ready: `${s3.endpoint} (bucket ${LOCAL_PHOTO_BUCKET}, files in ${join(dataDir, 's3')})`,
    async stop() {
      client.destroy();
      await s3.stop();
    },
    s3,
    client,
    async readPhoto(bucket, key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await object.Body?.transformToByteArray();
      if (bytes === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
      return bytes;
    },
  };
}
