import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PHOTO_METADATA } from '@coffee-iot/shared';

export const BUCKET = 'coffee-photos';
export const REGION = 'eu-west-1';
/** The key pair s3rver accepts (it checks the access key id, not the signature). */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * s3rver 3.7 ships no types, so it is loaded untyped with this much of its shape (a Koa app,
 * hence an EventEmitter): the bench then type-checks without any project's declaration file.
 */
interface S3rverInstance extends EventEmitter {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer: Server;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

/** One object s3rver stored, stamped in this process the moment s3rver announced it. */
export interface StoredObject {
  key: string;
  bytes: number;
  /** performance.now() and Date.now() when s3rver emitted its ObjectCreated event. */
  atMs: number;
  atEpochMs: number;
}

/** The part of an S3 event notification (as s3rver emits it) the bench reads. */
interface S3Notification {
  Records: { eventName: string; s3: { object: { key: string; size?: number } } }[];
}

/**
 * s3rver in-process on 127.0.0.1 with the photo bucket (started as test/src/upload/s3-stack.ts
 * starts it), plus the moment each object was stored. s3rver emits an `event` (an S3 event notification,
 * ObjectCreated:Put) right after it has written the object and its metadata to disk and before
 * it answers the PUT: the earliest moment the object is in S3, timed without polling.
 */
export class BenchS3 {
  readonly created: StoredObject[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: S3rverInstance,
    readonly endpoint: string,
  ) {
    server.on('event', (notification: S3Notification) => {
      const atMs = performance.now();
      const atEpochMs = Date.now();
      for (const record of notification.Records) {
        if (!record.eventName.startsWith('ObjectCreated:')) continue;
        const { key, size } = record.s3.object;
        this.created.push({ key, bytes: size ?? 0, atMs, atEpochMs });
      }
      for (const check of [...this.waiters]) check();
    });
  }

  static async start(directory: string): Promise<BenchS3> {
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET }],
    });
    const address = await server.run();
    return new BenchS3(server, `http://127.0.0.1:${address.port}`);
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

  async stop(): Promise<void> {
    // Keep-alive sockets from the SDK would hold close() open.
    const closed = this.server.close();
    this.server.httpServer.closeAllConnections();
    await closed;
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
