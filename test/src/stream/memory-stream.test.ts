import { describe, expect, it } from 'vitest';
import { StreamUnavailableError } from '../../../cloud/src/stream/index.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';

const encoder = new TextEncoder();
const record = (n: number) => ({ partitionKey: 'coffee-pi-01', data: encoder.encode(JSON.stringify({ n })) });

describe('MemoryIngestStream', () => {
  it('fails the next N calls like an unavailable stream, storing nothing, then accepts', async () => {
    const stream = new MemoryIngestStream('coffee-ingest').failNext(2);
    for (let i = 0; i < 2; i += 1) {
      const error = await stream.putRecords([record(1), record(2)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StreamUnavailableError);
      expect((error as StreamUnavailableError).notAccepted).toEqual([0, 1]);
      expect((error as StreamUnavailableError).stream).toBe('coffee-ingest');
    }
    await stream.putRecords([record(1), record(2)]);
    expect(stream.calls).toBe(3);
    expect(stream.json()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('keeps a copy of the bytes, not the caller’s buffer', async () => {
    const stream = new MemoryIngestStream();
    const given = record(7);
    await stream.putRecords([given]);
    given.data.fill(0);
    expect(stream.json()).toEqual([{ n: 7 }]);
  });
});
