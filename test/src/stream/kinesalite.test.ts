import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKinesisIngestStream,
  type IngestRecord,
  StreamUnavailableError,
} from '../../../cloud/src/stream/index.js';
import {
  createActiveStream,
  type RunningKinesalite,
  readAllRecords,
  startKinesalite,
} from './kinesalite-stack.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Partition keys as devices name them, plus the edge cases: non-ASCII and the full 256 characters. */
const DEVICES = [
  ...Array.from({ length: 18 }, (_, i) => `coffee-pi-${String(i).padStart(2, '0')}`),
  'café-☕-01',
  `pi-${'x'.repeat(253)}`,
];

/**
 * 1,200 records of mixed sizes: mostly telemetry-sized, every 10th ~20 KB, every 100th ~700 KB, so
 * the 12 big ones (8 MiB) force byte-based splits as well as the 500-entry ones.
 */
function mixedRecords(): IngestRecord[] {
  return Array.from({ length: 1_200 }, (_, id) => {
    const padding = id % 100 === 0 ? 700_000 : id % 10 === 0 ? 20_000 : 50 + ((id * 37) % 300);
    const deviceId = DEVICES[id % DEVICES.length] ?? 'coffee-pi-00';
    return {
      partitionKey: deviceId,
      data: encoder.encode(
        JSON.stringify({ v: 1, type: 'telemetry', id, deviceId, pad: 'p'.repeat(padding) }),
      ),
    };
  });
}

function digest(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('Kinesis ingest stream on kinesalite', () => {
  let kinesalite: RunningKinesalite;

  beforeAll(async () => {
    kinesalite = await startKinesalite();
  });
  afterAll(async () => {
    await kinesalite?.stop();
  });

  it('delivers 1,200 mixed-size records across 2 shards exactly once, with their keys, in order per key', async () => {
    await createActiveStream(kinesalite.client, 'coffee-ingest', 2);
    const records = mixedRecords();
    const stream = createKinesisIngestStream({ client: kinesalite.client, streamName: 'coffee-ingest' });

    await stream.putRecords(records);

    const read = await readAllRecords(kinesalite.client, 'coffee-ingest');
    const ids = read.map((r) => (JSON.parse(decoder.decode(r.data)) as { id: number }).id);
    expect(read).toHaveLength(records.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(records.map((_, id) => id));
    for (const [i, record] of read.entries()) {
      const sent = records[ids[i] ?? -1];
      expect(record.partitionKey).toBe(sent?.partitionKey);
      expect(digest(record.data)).toBe(digest(sent?.data ?? new Uint8Array()));
    }
    // Both shards took records, and each key's records sit in one shard in the order they were put.
    expect(new Set(read.map((r) => r.shardId)).size).toBe(2);
    for (const key of DEVICES) {
      const ofKey = read.filter((r) => r.partitionKey === key);
      expect(new Set(ofKey.map((r) => r.shardId)).size).toBe(1);
      const order = ofKey.map((r) => (JSON.parse(decoder.decode(r.data)) as { id: number }).id);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('reports a stream that does not exist at once, without retrying', async () => {
    const sleeps: number[] = [];
    const stream = createKinesisIngestStream({
      client: kinesalite.client,
      streamName: 'no-such-stream',
      retry: { timing: { sleep: async (ms) => void sleeps.push(ms) } },
    });
    const error = await stream.putRecords(mixedRecords().slice(1, 4)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamUnavailableError);
    expect((error as StreamUnavailableError).message).toMatch(
      /^stream no-such-stream: 3 of 3 record\(s\) not accepted, PutRecords failed and retrying cannot help .*ResourceNotFoundException/,
    );
    expect((error as StreamUnavailableError).notAccepted).toEqual([0, 1, 2]);
    expect(sleeps).toEqual([]);
  });
});
