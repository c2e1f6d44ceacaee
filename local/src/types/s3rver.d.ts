// s3rver 3.7 ships no types; this covers what the local stack and the tests use.
declare module 's3rver' {
  import type { RequestListener, Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  export interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    /** Creates the configured buckets (what run() does before it listens). */
    configureBuckets(): Promise<void>;
    /** Koa's request handler, for an http.Server of our own. */
    callback(): RequestListener;
    close(): Promise<void>;
    /** Set by run(); close() closes it. */
    httpServer: Server;
    /** S3 event notifications (ObjectCreated:Put, …) in the AWS record shape. */
    on(event: 'event', listener: (event: S3rverEvent) => void): this;
  }

  export interface S3rverEvent {
    Records: {
      eventName: string;
      eventTime: string;
      s3: { bucket: { name: string }; object: { key: string; size: number; eTag?: string } };
    }[];
  }
}
