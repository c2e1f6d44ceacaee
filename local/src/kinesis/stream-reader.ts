import { setTimeout as delay } from 'node:timers/promises';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { Logger } from '@coffee-iot/device';
import type { ShardCheckpoints } from './checkpoints.js';

export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
}

export interface StreamReaderOptions {
  client: KinesisClient;
  streamName: string;
  /** Where each shard resumes (after this sequence number); TRIM_HORIZON for the others. */
  startAfter: ShardCheckpoints;
  /** Receives every record once, shard by shard in order; the next read waits for it. */
  onRecords: (records: StreamRecord[]) => Promise<void>;
  logger: Logger;
  /** Pause when a shard has nothing new (Kinesis allows 5 GetRecords per shard per second). */
  idlePollMs?: number;
  /** GetRecords Limit (Kinesis' maximum is 10,000). */
  batchLimit?: number;
}

/**
 * A polling consumer over every shard of the stream, as a Lambda event source mapping or the
 * Kinesis Client Library would run it: one loop per shard, records handed on in order.
 */
export class StreamReader {
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly wake = new AbortController();

  constructor(private readonly options: StreamReaderOptions) {}

  async start(): Promise<void> {
    const { client, streamName } = this.options;
    const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
    this.loops = Shards.map((shard) => this.readShard(shard.ShardId as string));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await Promise.all(this.loops);
  }

  private async readShard(shardId: string): Promise<void> {
    const { logger } = this.options;
    let after = this.options.startAfter[shardId];
    let iterator: string | undefined;
    while (!this.stopping) {
      try {
        iterator ??= await this.iteratorAfter(shardId, after);
        const page = await this.options.client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchLimit ?? 10_000 }),
        );
        iterator = page.NextShardIterator;
        const records = (page.Records ?? []).map((record) => ({
          shardId,
          sequenceNumber: record.SequenceNumber as string,
          partitionKey: record.PartitionKey as string,
          data: record.Data as Uint8Array,
        }));
        if (records.length > 0) {
          await this.options.onRecords(records);
          after = records[records.length - 1]?.sequenceNumber;
        }
        if (iterator === undefined) {
          logger.warn({ shardId }, 'shard closed; its reader stops');
          return;
        }
        if (records.length === 0 || page.MillisBehindLatest === 0) await this.idle();
      } catch (error) {
        if (this.stopping) return;
        // An expired iterator is routine after a long pause; anything else is logged and retried.
        if (!(error instanceof ExpiredIteratorException)) {
          logger.error({ err: error, shardId }, 'reading the ingest stream failed; retrying in 1 s');
          await this.idle(1000);
        }
        iterator = undefined;
      }
    }
  }

  private async iteratorAfter(shardId: string, after: string | undefined): Promise<string> {
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shardId,
        ...(after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }),
      }),
    );
    if (ShardIterator === undefined) throw new Error(`no shard iterator for ${shardId}`);
    return ShardIterator;
  }

  private async idle(ms = this.options.idlePollMs ?? 200): Promise<void> {
    try {
      await delay(ms, undefined, { signal: this.wake.signal });
    } catch (error) {
      // Aborted by stop(): the loop checks `stopping` next. Nothing else can reject a delay.
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }
}
