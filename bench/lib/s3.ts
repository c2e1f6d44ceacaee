import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PHOTO_METADATA } from '@coffee-iot/shared';
import { LOCAL_PHOTO_BUCKET, type LocalS3, startLocalS3 } from '../../local/src/s3/local-s3.js';

export const BUCKET = LOCAL_PHOTO_BUCKET;
export const REGION = 'eu-west-1';
/** The key pair s3rver accepts (it checks the access key id, not the signature). */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** One object s3rver stored, stamped in this process the moment s3rver announced it. */
export interface StoredObject {
  key: string;
  bytes: number;
  /** performance.now() and Date.now() when s3rver emitted its ObjectCreated event. */
  atMs: number;
  atEpochMs: number;
}

/**
 * The local stack's S3 (s3rver in-process on 127.0.0.1 with the photo bucket), plus the moment
 * each object was stored. s3rver emits an `event` (an S3 event notification,
 * ObjectCreated:Put) right after it has written the object and its metadata to disk and before
 * it answers the PUT: the earliest moment the object is in S3, timed without polling.
 */
export class BenchS3 {
  readonly created: StoredObject[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly s3: LocalS3) {
    s3.onObjectCreated((key, bytes) => {
      this.created.push({ key, bytes, atMs: performance.now(), atEpochMs: Date.now() });
      for (const check of [...this.waiters]) check();
    });
  }

  get endpoint(): string {
    return this.s3.endpoint;
  }

  static async start(directory: string): Promise<BenchS3> {
    return new BenchS3(await startLocalS3(directory, 0));
  }

  /** Objects stored so far whose key starts with `prefix`. */
  objectsUnder(prefix: string): StoredObject[] {
    return this.created.filter((o) => o.key.startsWith(prefix));
  }

  /** Resolves once `count` objects under `prefix` are stored; the newest of them. */
  waitForCount(prefix: string, count: number, timeoutMs: number): Promise<StoredObject> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const objects = this.objectsUnder(prefix);
        if (objects.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(objects[count - 1] as StoredObject);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${count} objects under ${prefix} in s3rver`),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  stop(): Promise<void> {
    return this.s3.stop();
  }
}

/**
 * An S3 client set up as the agent's S3PhotoUploader sets up its own (path style, only required
 * checksums, no SDK retries), with s3rver's key pair.
 */
export function benchS3Client(endpoint: string): S3Client {
  return new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

/** The PutObject the agent sends for a photo: JPEG content type, Content-MD5 and its metadata. */
export function photoPut(key: string, body: Buffer, deviceId: string, eventId: string): PutObjectCommand {
  return new PutObjectCommand({
    Bucket: BUCKET,
    Key: key,
    Body: body,
    ContentLength: body.length,
    ContentType: 'image/jpeg',
    ContentMD5: createHash('md5').update(body).digest('base64'),
    Metadata: {
      [PHOTO_METADATA.deviceId]: deviceId,
      [PHOTO_METADATA.eventId]: eventId,
      [PHOTO_METADATA.capturedAt]: new Date().toISOString(),
    },
  });
}

/** An object's bytes, read back through the S3 API. */
export async function getObjectBytes(client: S3Client, key: string): Promise<Buffer> {
  const output = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await output.Body?.transformToByteArray()) ?? new Uint8Array());
}
