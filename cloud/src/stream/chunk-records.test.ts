import { describe, expect, it } from 'vitest';
import { chunkRecords, recordBytes } from './chunk-records.js';
import { type IngestRecord, StreamRecordRejectedError } from './ingest-stream.js';
import { KINESIS_PUT_RECORDS_LIMITS } from './put-records-limits.js';

const MiB = 1024 * 1024;

/** A record whose data plus partition key is exactly `bytes` bytes. */
function recordOf(bytes: number, partitionKey = 'coffee-pi-01'): IngestRecord {
  const keyBytes = new TextEncoder().encode(partitionKey).byteLength;
  return { partitionKey, data: new Uint8Array(bytes - keyBytes) };
}

function small(count: number): IngestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `pi-${i % 7}`,
    data: new TextEncoder().encode(`{"seq":${i}}`),
  }));
}

/** Chunk sizes, and a check that chunks hold every record once, in order. */
function shape(records: readonly IngestRecord[]): number[] {
  const chunks = chunkRecords(records);
  expect(chunks.flat().map((entry) => entry.index)).toEqual(records.map((_, i) => i));
  expect(chunks.flat().map((entry) => entry.record)).toEqual(records);
  return chunks.map((chunk) => chunk.length);
}

describe('chunkRecords', () => {
  it('sends nothing for no records', () => {
    expect(chunkRecords([])).toEqual([]);
  });

  it('splits 501 records into 500 + 1, keeping the order', () => {
    expect(shape(small(501))).toEqual([500, 1]);
  });

  it('keeps exactly 500 records in one call and splits 1,200 into 500 + 500 + 200', () => {
    expect(shape(small(500))).toEqual([500]);
    expect(shape(small(1_200))).toEqual([500, 500, 200]);
  });

  it('splits by bytes when ~1 MiB records add up past 5 MiB', () => {
    const records = Array.from({ length: 12 }, () => recordOf(MiB - 1_000));
    // 5 × (1 MiB − 1,000) fits in 5 MiB, a sixth does not.
    expect(shape(records)).toEqual([5, 5, 2]);
  });

  it('counts the partition key bytes (UTF-8) against the call limit', () => {
    const key = 'café-☕'; // 9 UTF-8 bytes, 6 UTF-16 code units
    expect(recordBytes({ partitionKey: key, data: new Uint8Array(5) })).toBe(14);
    // Data alone: 5 × (1 MiB − 9) + 36 = 5 MiB − 9, one call. With the keys it is 5 MiB + 45: two.
    const records = [
      ...Array.from({ length: 5 }, () => ({ partitionKey: key, data: new Uint8Array(MiB - 9) })),
      { partitionKey: key, data: new Uint8Array(36) },
    ];
    expect(shape(records)).toEqual([5, 1]);
  });

  it('fills a call to exactly 5 MiB and starts the next one at 5 MiB + 1 byte', () => {
    expect(shape(Array.from({ length: 5 }, () => recordOf(MiB)))).toEqual([5]);
    expect(shape(Array.from({ length: 6 }, () => recordOf(MiB)))).toEqual([5, 1]);
    const oneByteOver = [
      ...Array.from({ length: 4 }, () => recordOf(MiB)),
      recordOf(MiB - 100),
      recordOf(101),
    ];
    expect(shape(oneByteOver)).toEqual([5, 1]);
    const oneByteUnder = [
      ...Array.from({ length: 4 }, () => recordOf(MiB)),
      recordOf(MiB - 100),
      recordOf(100),
    ];
    expect(shape(oneByteUnder)).toEqual([6]);
  });

  it('accepts a record of exactly 1 MiB and refuses one byte more, naming its index and size', () => {
    expect(shape([recordOf(MiB)])).toEqual([1]);
    const records = [...small(3), recordOf(MiB + 1), ...small(2)];
    const error = catchError(() => chunkRecords(records));
    expect(error).toBeInstanceOf(StreamRecordRejectedError);
    expect(error.message).toMatch(/record 3 \(1048577 bytes\)/);
    expect(error.rejected).toEqual([
      { index: 3, bytes: MiB + 1, reason: expect.stringMatching(/1048576-byte/) },
    ]);
  });

  it('refuses an empty or over-256-character partition key, and accepts 1 and 256 characters', () => {
    expect(shape([recordOf(10, 'a'), recordOf(300, 'k'.repeat(256))])).toEqual([2]);
    const records = [
      recordOf(10, 'ok'),
      { partitionKey: '', data: new Uint8Array(4) },
      recordOf(400, 'k'.repeat(257)),
    ];
    const error = catchError(() => chunkRecords(records));
    expect(error.rejected.map((r) => [r.index, r.bytes])).toEqual([
      [1, 4],
      [2, 400],
    ]);
    expect(error.message).toMatch(/2 of 3 record\(s\) can never be put/);
    expect(error.message).toMatch(/record 1 \(4 bytes\): the partition key is empty/);
    expect(error.message).toMatch(/record 2 \(400 bytes\): the partition key is 257 characters, over 256/);
  });

  it('counts a key of astral characters by UTF-16 units, the stricter count', () => {
    // 129 coffee emoji: 129 code points, 258 UTF-16 units.
    const error = catchError(() => chunkRecords([recordOf(1_000, '☕'.repeat(100) + '🍩'.repeat(129))]));
    expect(error.rejected[0]?.reason).toMatch(/partition key is 358 characters/);
  });

  it('uses the limits AWS documents', () => {
    expect(KINESIS_PUT_RECORDS_LIMITS).toEqual({
      maxEntries: 500,
      maxBatchBytes: 5 * MiB,
      maxRecordBytes: MiB,
      maxPartitionKeyLength: 256,
    });
  });
});

function catchError(fn: () => unknown): StreamRecordRejectedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StreamRecordRejectedError) return error;
    throw error;
  }
  throw new Error('expected StreamRecordRejectedError, nothing was thrown');
}
