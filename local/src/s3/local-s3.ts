import { mkdir } from 'node:fs/promises';
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
  const address = await server.run();
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
