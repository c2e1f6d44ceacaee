import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export const BUCKET = 'coffee-photos';
export const REGION = 'eu-west-1';
/** The key pair s3rver accepts (it checks the access key id; it does not verify V4 signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RunningS3 {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface S3rverOptions {
  /** Called with each S3-event-shaped notification s3rver emits (its keys are not URL-encoded). */
  onEvent?: (event: unknown) => void;
}

/** s3rver in-process on 127.0.0.1 with the photo bucket; `port` 0 picks a free port. */
export async function startS3rver(
  directory: string,
  port = 0,
  options: S3rverOptions = {},
): Promise<RunningS3> {
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  if (options.onEvent) server.on('event', options.onEvent);
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    async stop() {
      // Keep-alive sockets from the SDK would hold close() open.
      const closed = server.close();
      server.httpServer.closeAllConnections();
      await closed;
    },
  };
}

export interface StoredPhoto {
  body: Buffer;
  contentType: string | undefined;
  metadata: Record<string, string> | undefined;
  etag: string | undefined;
}

/** Reads an object back the way the cloud side would. */
export async function getPhoto(endpoint: string, key: string): Promise<StoredPhoto> {
  const client = new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const output = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return {
      body: Buffer.from(await (output.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()))),
      contentType: output.ContentType,
      metadata: output.Metadata,
      etag: output.ETag,
    };
  } finally {
    client.destroy();
  }
}

export function md5(body: Buffer, encoding: 'hex' | 'base64'): string {
  return createHash('md5').update(body).digest(encoding);
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * An HTTP proxy in front of s3rver that records every request and, while `stallPuts` is set,
 * swallows PUTs without ever answering: an upload caught mid-flight.
 */
export class StallingProxy extends EventEmitter {
  stallPuts = false;
  readonly seen: SeenRequest[] = [];
  private readonly server: Server;

  private constructor(private readonly target: URL) {
    super();
    this.server = createServer((req, res) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      if (this.stallPuts && req.method === 'PUT') {
        req.resume();
        req.on('end', () => this.emit('stalled', req.url));
        return;
      }
      const upstream = request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  static async start(targetEndpoint: string): Promise<StallingProxy> {
    const proxy = new StallingProxy(new URL(targetEndpoint));
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}

/** Polls `condition` (integration tests only) and fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
