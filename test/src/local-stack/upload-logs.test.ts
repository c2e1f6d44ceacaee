import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../cloud/src/photos/s3-photo-store.js';
import { LOCAL_PHOTO_BUCKET } from '../../../local/src/s3/local-s3.js';
import type { LocalStack } from '../../../local/src/stack/local-stack.js';
import { eventually, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

/** upload-logs on `npm start`: a simulated device's own log (its agent.log) lands under logs/{thing}/. */
describe('upload-logs on the local stack', () => {
  let stack: LocalStack;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;

  beforeAll(async () => {
    dataDir = await tempDataDir();
    stack = await startTestStack(testStackOptions(dataDir.path, { devices: 1, agentLogLevel: 'info' }));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await dataDir?.remove();
  }, 60_000);

  it('uploads the device’s last log lines to logs/coffee-pi-1/ and reports the key', async () => {
    const job = await stack.control.createJob({
      document: { operation: 'upload-logs', lines: 50 },
      targets: ['coffee-pi-1'],
    });
    const execution = await eventually('the upload-logs job finished', async () => {
      const [only] = (await stack.control.describeJob(job.jobId)).executions;
      return only?.status === 'QUEUED' || only?.status === 'IN_PROGRESS' ? undefined : only;
    });
    expect(execution.status, JSON.stringify(execution.statusDetails)).toBe('SUCCEEDED');

    const s3 = createS3Client({
      region: 'us-east-1',
      endpoint: stack.s3Endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: LOCAL_PHOTO_BUCKET, Prefix: 'logs/coffee-pi-1/' }),
    );
    const keys = (listed.Contents ?? []).map((object) => object.Key);
    expect(keys).toHaveLength(1);
    expect(JSON.stringify(execution.statusDetails)).toContain(keys[0] as string);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: LOCAL_PHOTO_BUCKET, Key: keys[0] }))
    ).Body?.transformToString();
    const lines = (body ?? '').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(50);
    // The device's own agent log: JSON lines naming this thing.
    expect(JSON.parse(lines[0] as string)).toMatchObject({ thing: 'coffee-pi-1' });
    s3.destroy();
  }, 90_000);
});
