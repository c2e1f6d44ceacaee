import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver, { type S3rverEvent } from 's3rver';

export const LOCAL_PHOTO_BUCKET = 'coffee-photos';

export interface LocalS3 {
  readonly endpoint: string;
  readonly port: number;
  /** Called for every object stored (S3 ObjectCreated notification records). */
  onObjectCreated(listener: (key: string, size: number) => void): void;
  /** Every S3 event notification as s3rver emits it (object keys not URL-encoded, unlike S3). */
  onObjectEvent(listener: (event: S3rverEvent) => void): void;
  stop(): Promise<void>;
}

/**
 * The local stack's S3: s3rver on loopback with the photo bucket, files under `directory`
 * so photos survive a restart. Clients use the same @aws-sdk/client-s3 calls as against AWS
 * (path-style, its fixed dev key pair).
 */
export async function startLocalS3(directory: string, port: number): Promise<LocalS3> {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: LOCAL_PHOTO_BUCKET }],
  });
  // Not server.run(): s3rver passes its listen callback where Node never reports an error, so a
  // port in use would hang start-up instead of failing. Same buckets, same handler, our server.
  await server.configureBuckets();
  const httpServer = createServer(server.callback());
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  server.httpServer = httpServer;
  const address = httpServer.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    onObjectCreated(listener) {
      server.on('event', (event: S3rverEvent) => {
        for (const record of event.Records) {
          if (record.eventName.startsWith('ObjectCreated'))
            listener(record.s3.object.key, record.s3.object.size);
        }
      });
    },
    onObjectEvent(listener) {
      server.on('event', listener);
    },
    async stop() {
      // The agent's keep-alive sockets would hold close() open.
      const closed = server.close();
      server.httpServer.closeAllConnections();
      await closed;
    },
  };
}
