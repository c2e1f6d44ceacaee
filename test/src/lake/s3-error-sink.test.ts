import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { createS3ErrorSink } from '../../../cloud/src/lake/firehose/s3-error-sink.js';
import { createS3Client } from '../../../cloud/src/photos/s3-photo-store.js';
import { describeErrorSinkContract } from '../../../cloud/src/testing/error-sink-contract.js';
import { BUCKET, REGION, type RunningS3, S3RVER_CREDENTIALS, startS3rver } from '../upload/s3-stack.js';

// The S3 adapter against s3rver (in-process, real HTTP and S3 XML): the same contract as the fake.
let dir: string;
let s3: RunningS3;
let client: S3Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's3-error-sink-'));
  s3 = await startS3rver(dir);
  client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeErrorSinkContract('S3 on s3rver', () => ({
  sink: createS3ErrorSink(client, BUCKET),
  async read(key) {
    try {
      const output = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return await output.Body?.transformToString('utf-8');
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  },
  broken: () => createS3ErrorSink(client, 'coffee-iot-no-such-bucket'),
}));
