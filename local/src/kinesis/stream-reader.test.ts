import { DescribeStreamSummaryCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createLogger } from '@coffee-iot/device';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import type { ShardCheckpoints } from './checkpoints.js';
import { INGEST_STREAM_NAME, type LocalKinesis, startLocalKinesis } from './local-kinesis.js';
import { StreamReader, type StreamRecord } from './stream-reader.js';

const logger = createLogger('silent');
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const THINGS = ['coffee-pi-1', 'coffee-pi-2', 'coffee-pi-3', 'coffee-pi-4', 'coffee-pi-5', 'coffee-pi-6'];

interface Sent {
  thing: string;
  n: number;
}

/** Puts `rounds` records per thing, one PutRecords per round, so each thing's records are in order. */
async function putRounds(client: KinesisClient, firstRound: number, rounds: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let n = firstRound; n < firstRound + rounds; n += 1) {
    const round = THINGS.map((thing) => ({ thing, n }));
    const answer = await client.send(
      new PutRecordsCommand({
        StreamName: INGEST_STREAM_NAME,
        Records: round.map((record) => ({
          PartitionKey: record.thing,
          Data: encoder.encode(JSON.stringify(record)),
        })),
      }),
    );
    expect(answer.FailedRecordCount ?? 0).toBe(0);
    sent.push(...round);
  }
  return sent;
}

const decoded = (record: StreamRecord) => JSON.parse(decoder.decode(record.data)) as Sent;
const key = (sent: Sent) => `${sent.thing}#${sent.n}`;

/** A reader that collects everything it is given; `until(n)` waits for n records. */
function collectingReader(kinesis: LocalKinesis, startAfter: ShardCheckpoints = {}) {
  const records: StreamRecord[] = [];
  const batches: StreamRecord[][] = [];
  const reader = new StreamReader({
    client: kinesis.client,
    streamName: kinesis.streamName,
    startAfter,
    logger,
    idlePollMs: 20,
    onRecords: async (batch) => {
      batches.push(batch);
      records.push(...batch);
    },
  });
  const until = (count: number) =>
    vi.waitFor(
      () => {
        if (records.length < count) throw new Error(`${records.length} of ${count} records read`);
      },
      { timeout: 10_000, interval: 20 },
    );
  return { reader, records, batches, until };
}

function lastPerShard(records: readonly StreamRecord[]): ShardCheckpoints {
  const last: ShardCheckpoints = {};
  for (const record of records) last[record.shardId] = record.sequenceNumber;
  return last;
}

describe('StreamReader on local Kinesis (kinesalite)', () => {
  let temp: TempDir;
  let kinesis: LocalKinesis;
  const readers: StreamReader[] = [];

  beforeEach(async () => {
    temp = await tempDir('kinesis');
    kinesis = await startLocalKinesis({ directory: temp.dir, port: 0, shards: 2, logger });
  });

  afterEach(async () => {
    for (const reader of readers.splice(0)) await reader.stop();
    await kinesis.stop();
    await temp.remove();
  });

  it('creates the ingest stream with its shards, ACTIVE, on LevelDB', async () => {
    const { StreamDescriptionSummary } = await kinesis.client.send(
      new DescribeStreamSummaryCommand({ StreamName: INGEST_STREAM_NAME }),
    );

    expect(StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: 2 });
    expect(kinesis.durable).toBe(true);
    expect(kinesis.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('delivers every record exactly once, each shard in order', async () => {
    const sent = await putRounds(kinesis.client, 1, 4);
    const { reader, records, until } = collectingReader(kinesis);
    readers.push(reader);
    await reader.start();
    await until(sent.length);

    expect(records.map(decoded).map(key).sort()).toEqual(sent.map(key).sort());
    expect(new Set(records.map((record) => record.sequenceNumber)).size).toBe(records.length);
    // Both shards carry records, and within each, sequence numbers only go up.
    const shards = new Map<string, bigint[]>();
    for (const record of records) {
      shards.set(record.shardId, [...(shards.get(record.shardId) ?? []), BigInt(record.sequenceNumber)]);
    }
    expect(shards.size).toBe(2);
    for (const sequence of shards.values()) {
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    // So each thing's records arrive in the order it sent them, with the thing as partition key.
    for (const thing of THINGS) {
      const mine = records.filter((record) => record.partitionKey === thing).map(decoded);
      expect(mine.map((record) => record.n)).toEqual([1, 2, 3, 4]);
      expect(mine.every((record) => record.thing === thing)).toBe(true);
    }
  });

  it('goes on delivering records put while it runs', async () => {
    const { reader, records, until } = collectingReader(kinesis);
    readers.push(reader);
    await reader.start();
    const first = await putRounds(kinesis.client, 1, 1);
    await until(first.length);
    const second = await putRounds(kinesis.client, 2, 2);
    await until(first.length + second.length);

    expect(records.map(decoded).map(key).sort()).toEqual([...first, ...second].map(key).sort());
  });

  it('resumes after the checkpoints: a second reader gets only newer records', async () => {
    const old = await putRounds(kinesis.client, 1, 2);
    const first = collectingReader(kinesis);
    await first.reader.start();
    await first.until(old.length);
    await first.reader.stop();

    const newer = await putRounds(kinesis.client, 3, 2);
    const second = collectingReader(kinesis, lastPerShard(first.records));
    readers.push(second.reader);
    await second.reader.start();
    await second.until(newer.length);

    // Each shard is read in order, so an old record would have come before the newer ones.
    expect(second.records.map(decoded).map(key).sort()).toEqual(newer.map(key).sort());
  });

  it('does not read past a record until onRecords has taken it, and reads it again after a failure', async () => {
    const sent = await putRounds(kinesis.client, 1, 1);
    let failures = 1;
    const seen: string[] = [];
    const reader = new StreamReader({
      client: kinesis.client,
      streamName: kinesis.streamName,
      startAfter: {},
      logger,
      idlePollMs: 20,
      onRecords: async (batch) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('lake busy');
        }
        seen.push(...batch.map(decoded).map(key));
      },
    });
    readers.push(reader);
    await reader.start();

    // The failed shard is retried after 1 s (the reader's back-off), from the same position.
    await vi.waitFor(() => expect([...seen].sort()).toEqual(sent.map(key).sort()), {
      timeout: 5_000,
      interval: 20,
    });
  });

  it('keeps the stream and its records across a restart on the same directory', async () => {
    const sent = await putRounds(kinesis.client, 1, 2);
    await kinesis.stop();

    kinesis = await startLocalKinesis({ directory: temp.dir, port: 0, shards: 2, logger });
    const { reader, records, until } = collectingReader(kinesis);
    readers.push(reader);
    await reader.start();
    await until(sent.length);

    expect(records.map(decoded).map(key).sort()).toEqual(sent.map(key).sort());
  });

  it('stops at once while waiting between polls, not after the poll interval', async () => {
    const sent = await putRounds(kinesis.client, 1, 1);
    let read = 0;
    const reader = new StreamReader({
      client: kinesis.client,
      streamName: kinesis.streamName,
      startAfter: {},
      logger,
      idlePollMs: 60_000,
      onRecords: async (batch) => {
        read += batch.length;
      },
    });
    await reader.start();
    // Every shard has read what there is: its loop is now (or is about to be) in its idle wait.
    await vi.waitFor(() => expect(read).toBe(sent.length), { timeout: 5_000, interval: 20 });
    const started = Date.now();

    await reader.stop();

    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
