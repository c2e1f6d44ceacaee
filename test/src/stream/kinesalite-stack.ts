import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import { createKinesisClient } from '../../../cloud/src/stream/index.js';

export const REGION = 'eu-west-1';
/** kinesalite checks neither keys nor signatures, but the SDK wants credentials to sign with. */
const CREDENTIALS = { accessKeyId: 'KINESALITE', secretAccessKey: 'KINESALITE' };

export interface RunningKinesalite {
  readonly endpoint: string;
  /** A client made by createKinesisClient, so the tests go through the HTTP/1.1 set-up under test. */
  readonly client: KinesisClient;
  stop(): Promise<void>;
}

/** kinesalite in-process on 127.0.0.1, in memory; streams turn ACTIVE after `createStreamMs`. */
export async function startKinesalite(createStreamMs = 5): Promise<RunningKinesalite> {
  const server: Server = kinesalite({ createStreamMs, deleteStreamMs: 5, updateStreamMs: 5 });
  // Port 0: the kernel picks a free port at bind time, so no other process can take it in between.
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createKinesisClient({ region: REGION, endpoint, credentials: CREDENTIALS });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      // Keep-alive sockets would hold close() open.
      const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Creates a stream and waits (polling kinesalite, a few ms) until it is ACTIVE. */
export async function createActiveStream(
  client: KinesisClient,
  name: string,
  shardCount: number,
): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  for (let poll = 0; poll < 500; poll += 1) {
    const { StreamDescriptionSummary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await delay(10);
  }
  throw new Error(`stream ${name} did not become ACTIVE within 5 s`);
}

export interface ReadRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
}

/**
 * Every record of every shard, from TRIM_HORIZON, each shard in sequence order. A shard is done
 * when a GetRecords call returns nothing and says it is not behind the tip.
 */
export async function readAllRecords(client: KinesisClient, streamName: string): Promise<ReadRecord[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const all: ReadRecord[] = [];
  for (const shard of Shards) {
    const shardId = shard.ShardId ?? '';
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator !== undefined) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = page.Records ?? [];
      for (const record of records) {
        all.push({
          shardId,
          sequenceNumber: record.SequenceNumber ?? '',
          partitionKey: record.PartitionKey ?? '',
          data: record.Data ?? new Uint8Array(),
        });
      }
      if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return all;
}
