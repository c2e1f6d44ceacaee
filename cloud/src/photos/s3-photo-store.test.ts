import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { PhotoStoreUnavailableError } from './photo-store.js';
import { createS3Client, createS3PhotoStore } from './s3-photo-store.js';

// What real S3 answers and s3rver does not reproduce; the s3rver behaviour is covered by
// test/src/photos/s3-photo-store.test.ts.

const BUCKET = 'coffee-photos';
const KEY = 'photos/coffee-pi-1/2026/03/14/0b5c3c8e-2f4e-4c43-9a53-3f6f2f1a9d10.jpg';

const s3 = mockClient(S3Client);
const store = createS3PhotoStore(new S3Client({ region: 'eu-west-1' }));

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

/** A Node response stream with the SDK's transform helpers, as GetObject's Body is in Node. */
function body(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return Object.assign(Readable.from([Buffer.from(bytes)]), {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async (encoding?: string) => Buffer.from(bytes).toString(encoding as BufferEncoding),
    transformToWebStream: () => {
      throw new Error('not used');
    },
  });
}

describe('S3 photo store (S3 answers)', () => {
  it('asks for the first bytes with a Range header', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(new Uint8Array([0xff, 0xd8, 0xff])), $metadata: {} });
    await store.readStart(BUCKET, KEY, 65_536);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      Range: 'bytes=0-65535',
    });
  });

  it('keeps only the bytes asked for when the server sends more', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(new Uint8Array(100).fill(7)), $metadata: {} });
    expect(await store.readStart(BUCKET, KEY, 10)).toEqual(new Uint8Array(10).fill(7));
  });

  it('reads an empty object as no bytes when S3 answers 416 InvalidRange', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'InvalidRange',
        $fault: 'client',
        message: 'The requested range is not satisfiable',
        $metadata: { httpStatusCode: 416 },
      }),
    );
    expect(await store.readStart(BUCKET, KEY, 64)).toEqual(new Uint8Array());
  });

  it('answers null for NotFound (HeadObject) and NoSuchKey (GetObject)', async () => {
    s3.on(HeadObjectCommand).rejects(
      new NotFound({ message: 'UnknownError', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
    );
    expect(await store.head(BUCKET, KEY)).toBeNull();
    expect(await store.readStart(BUCKET, KEY, 64)).toBeNull();
  });

  it('lower-cases metadata keys and keeps a missing content type unknown', async () => {
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 42,
      Metadata: { 'Device-Id': 'coffee-pi-1' },
      $metadata: {},
    });
    expect(await store.head(BUCKET, KEY)).toEqual({
      sizeBytes: 42,
      contentType: null,
      metadata: { 'device-id': 'coffee-pi-1' },
    });
  });

  it('does not make up a size S3 did not send', async () => {
    s3.on(HeadObjectCommand).resolves({ $metadata: {} });
    await expect(store.head(BUCKET, KEY)).rejects.toBeInstanceOf(PhotoStoreUnavailableError);
  });

  it('treats 403 as unavailable and names the permissions to check', async () => {
    s3.on(HeadObjectCommand).rejects(
      new S3ServiceException({
        name: 'Forbidden',
        $fault: 'client',
        message: 'UnknownError',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const thrown = await store.head(BUCKET, KEY).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PhotoStoreUnavailableError);
    expect((thrown as Error).message).toBe(
      `S3 HeadObject s3://${BUCKET}/${KEY} failed: Forbidden (HTTP 403): UnknownError: the function's role needs s3:GetObject on the photo bucket (and s3:ListBucket, or missing keys answer 403)`,
    );
  });

  it('treats a server error as unavailable, keeping it as the cause', async () => {
    const slowDown = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      message: 'Please reduce your request rate.',
      $metadata: { httpStatusCode: 503 },
    });
    s3.on(GetObjectCommand).rejects(slowDown);
    const thrown = await store.readStart(BUCKET, KEY, 64).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PhotoStoreUnavailableError);
    expect((thrown as Error).message).toContain('SlowDown (HTTP 503)');
    expect((thrown as Error).cause).toBe(slowDown);
  });
});

describe('createS3Client', () => {
  it('uses path-style URLs and only required checksums for a local endpoint', async () => {
    const client = createS3Client({ endpoint: 'http://127.0.0.1:4568', region: 'eu-west-1' });
    try {
      expect(client.config.forcePathStyle).toBe(true);
      expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
      expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      client.destroy();
    }
  });

  it('keeps the SDK defaults for AWS', async () => {
    const client = createS3Client({ region: 'eu-west-1' });
    try {
      expect(client.config.forcePathStyle).toBe(false);
      expect(await client.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
      expect(client.config.endpoint).toBeUndefined();
    } finally {
      client.destroy();
    }
  });
});
