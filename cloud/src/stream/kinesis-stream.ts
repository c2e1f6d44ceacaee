import {
  KinesisClient,
  type KinesisClientConfig,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { IngestRecord, IngestStream } from './ingest-stream.js';
import { type PutAllRecordsOptions, putAllRecords } from './put-records.js';

export interface KinesisIngestStreamOptions {
  /** Created once per process (Lambda init) and shared. */
  client: KinesisClient;
  /** Give the name or the ARN (kinesalite only knows names). When both are given, AWS checks they match. */
  streamName?: string;
  streamArn?: string;
  /** Retry policy, time and limits; defaults suit a Lambda (about 3 s per batch at most). */
  retry?: Omit<PutAllRecordsOptions, 'stream'>;
}

/**
 * The IngestStream adapter for Kinesis Data Streams (and kinesalite): the only module that sends
 * PutRecords. Chunking, partial-failure resends and backoff live in put-records.ts.
 */
export function createKinesisIngestStream(options: KinesisIngestStreamOptions): IngestStream {
  const { client, streamName, streamArn } = options;
  const stream = streamArn || streamName;
  if (!stream) throw new TypeError('createKinesisIngestStream needs streamName or streamArn, got neither');
  const send = (entries: readonly IngestRecord[]) =>
    client.send(
      new PutRecordsCommand({
        ...(streamName ? { StreamName: streamName } : {}),
        ...(streamArn ? { StreamARN: streamArn } : {}),
        Records: entries.map(
          (entry): PutRecordsRequestEntry => ({ PartitionKey: entry.partitionKey, Data: entry.data }),
        ),
      }),
    );
  return {
    putRecords: (records) => putAllRecords(records, send, { ...options.retry, stream }),
  };
}

export interface KinesisClientOptions {
  /** Defaults to the SDK's chain (AWS_REGION in Lambda). */
  region?: string;
  /** A local endpoint such as kinesalite's `http://127.0.0.1:4567`; AWS's own when absent. */
  endpoint?: string;
  credentials?: KinesisClientConfig['credentials'];
  /**
   * SDK-level attempts per call. Default 1: putAllRecords owns retries (it also retries partial
   * failures, which the SDK does not, and its time is injectable), so the SDK's own 3 attempts
   * would only multiply the calls and the wait.
   */
  maxAttempts?: number;
}

export function createKinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  return new KinesisClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.endpoint === undefined
      ? {}
      : {
          endpoint: options.endpoint,
          // The Kinesis client defaults to HTTP/2 (NodeHttp2Handler, needed for SubscribeToShard),
          // which kinesalite's HTTP/1.1 server rejects; PutRecords and GetRecords work over
          // HTTP/1.1 anywhere (DESIGN.md, platform facts).
          requestHandler: new NodeHttpHandler(),
        }),
  });
}
