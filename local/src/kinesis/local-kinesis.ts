import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import kinesalite from 'kinesalite';
import { listenOrExplain, MissingNativeModuleError } from '../stack/stack-errors.js';

export const LOCAL_REGION = 'us-east-1';
export const INGEST_STREAM_NAME = 'coffee-iot-ingest';
/** kinesalite checks neither keys nor signatures, but the SDK signs every request. */
const CREDENTIALS = { accessKeyId: 'KINESALITE', secretAccessKey: 'KINESALITE' };

export interface LocalKinesisOptions {
  /** LevelDB directory, so records not yet in the lake survive a restart. */
  directory: string;
  port: number;
  shards: number;
  logger: Logger;
}

export interface LocalKinesis {
  readonly endpoint: string;
  readonly streamName: string;
  /** Created with our createKinesisClient, exactly as the Lambdas make theirs. */
  readonly client: KinesisClient;
  /** False when LevelDB's native module did not load and records live in memory only. */
  readonly durable: boolean;
  stop(): Promise<void>;
}

/** kinesalite on loopback with the ingest stream created (and ACTIVE) on first run. */
export async function startLocalKinesis(options: LocalKinesisOptions): Promise<LocalKinesis> {
  await mkdir(options.directory, { recursive: true });
  const durable = leveldownLoads(options.logger);
  const server: Server = kinesalite({
    ...(durable ? { path: options.directory } : {}),
    createStreamMs: 5,
    deleteStreamMs: 5,
    updateStreamMs: 5,
  });
  try {
    await listenOrExplain('local Kinesis', options.port, '--kinesis-port', async () => {
      server.listen(options.port, '127.0.0.1');
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([error]) => Promise.reject(error)),
      ]);
    });
  } catch (error) {
    // kinesalite opened LevelDB when it was created: close it (its close() does) so the data
    // directory is not left locked. The server never listened, so close() also reports that.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createKinesisClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 3,
  });
  const stop = async () => {
    client.destroy();
    // Keep-alive sockets would hold close() open; close() also closes LevelDB.
    const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    server.closeAllConnections();
    await closed;
  };
  try {
    await ensureActiveStream(client, INGEST_STREAM_NAME, options.shards);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, streamName: INGEST_STREAM_NAME, client, durable, stop };
}

function leveldownLoads(logger: Logger): boolean {
  try {
    createRequire(import.meta.url)('leveldown');
    return true;
  } catch (error) {
    const warning = new MissingNativeModuleError(
      'leveldown',
      'the local Kinesis stream keeps records in memory: records not yet written to the lake are lost when the stack stops',
      'Run `npm rebuild leveldown` (it needs a C++ toolchain: apt-get install build-essential python3).',
      { cause: error },
    );
    logger.warn({ err: error }, warning.message);
    return false;
  }
}

async function ensureActiveStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  }
  for (let poll = 0; poll < 500; poll += 1) {
    const { StreamDescriptionSummary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await delay(10);
  }
  throw new Error(`local Kinesis stream ${name} did not become ACTIVE within 5 s`);
}
