import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENVELOPE_LIMITS,
  type ImportProgress,
  importCsv,
} from '../../../cloud/src/lake/import/index.js';
import type { IngestRecord, IngestStream } from '../../../cloud/src/stream/ingest-stream.js';
import { HEADER, IMPORT_NOW } from './import-fixtures.js';

const LINES = 200_000;
const DEVICES = 3;
const START = Date.parse('2026-01-01T00:00:00.000Z');

/** Generates the CSV lazily, 100 lines a chunk, counting how many lines it has handed out. */
function generatedCsv(): { source: Readable; produced: () => number; totalBytes: number } {
  let produced = 0;
  const line = (i: number) =>
    `coffee-pi-${i % DEVICES},${new Date(START + i * 1000).toISOString()},${(20 + (i % 50) / 10).toFixed(1)},41.5,1013.25,1.5,-0.5,${i % 360}\n`;
  let totalBytes = Buffer.byteLength(`${HEADER}\n`);
  for (let i = 0; i < LINES; i += 1) totalBytes += line(i).length;
  function* chunks(): Generator<Buffer> {
    yield Buffer.from(`${HEADER}\n`);
    for (let i = 0; i < LINES; i += 100) {
      let text = '';
      for (let j = i; j < Math.min(i + 100, LINES); j += 1) text += line(j);
      produced = Math.min(i + 100, LINES);
      yield Buffer.from(text);
    }
  }
  return { source: Readable.from(chunks(), { objectMode: false }), produced: () => produced, totalBytes };
}

// A full collection before each heap sample, so the samples measure what the import keeps alive,
// not garbage waiting for the collector.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveHeap(): number {
  collectGarbage();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** Keeps counts only (no records), and notes how far the source ran ahead of what was sent. */
class WatchingStream implements IngestStream {
  readingsSent = 0;
  calls = 0;
  maxLinesAhead = 0;
  producedAtFirstCall = -1;
  maxLiveHeap = 0;
  private readonly decoder = new TextDecoder();

  constructor(private readonly produced: () => number) {}

  async putRecords(records: readonly IngestRecord[]): Promise<void> {
    this.calls += 1;
    if (this.producedAtFirstCall < 0) this.producedAtFirstCall = this.produced();
    this.maxLinesAhead = Math.max(this.maxLinesAhead, this.produced() - this.readingsSent);
    this.maxLiveHeap = Math.max(this.maxLiveHeap, liveHeap());
    // A slow stream: reading must wait for it rather than pile lines up in memory.
    await new Promise((resolve) => setImmediate(resolve));
    for (const record of records) {
      this.readingsSent += (
        JSON.parse(this.decoder.decode(record.data)) as { readings: unknown[] }
      ).readings.length;
    }
  }
}

describe('importCsv on a large file', () => {
  it(`streams ${LINES.toLocaleString('en')} lines with the source read only as fast as the stream takes them`, {
    timeout: 60_000,
  }, async () => {
    const { source, produced, totalBytes } = generatedCsv();
    const stream = new WatchingStream(produced);
    const progress: ImportProgress[] = [];
    const heapBefore = liveHeap();

    const report = await importCsv(source, stream, {
      now: () => IMPORT_NOW,
      totalBytes,
      onProgress: (p) => progress.push(p),
    });

    expect(report).toMatchObject({ lines: LINES, accepted: LINES, refused: 0, bytesRead: totalBytes });
    expect(stream.readingsSent).toBe(LINES);
    // The first batch went out long before the end of the file…
    expect(stream.producedAtFirstCall).toBeGreaterThan(0);
    expect(stream.producedAtFirstCall).toBeLessThan(LINES / 2);
    // …and the read never ran further ahead of the stream than one PutRecords batch of envelopes
    // (5 MiB, ~42,000 of these readings), the unfinished envelopes and the stream buffers.
    const readingBytes = 115;
    const batchReadings = DEFAULT_ENVELOPE_LIMITS.maxBatchBytes / readingBytes;
    expect(stream.maxLinesAhead).toBeLessThan(
      batchReadings + DEFAULT_ENVELOPE_LIMITS.maxPendingReadings + 5_000,
    );
    // What stays alive mid-import is about one 5 MiB batch and its envelopes (~13 MB measured);
    // holding every record instead measured ~30 MB, and the file is ~15 MB as text alone.
    expect(stream.maxLiveHeap - heapBefore).toBeLessThan(20 * 1024 * 1024);

    expect(progress.length).toBe(LINES / 1_000 + 1);
    expect(progress.every((p, i) => i === 0 || p.lines >= (progress[i - 1] as ImportProgress).lines)).toBe(
      true,
    );
    expect(
      progress.every((p, i) => i === 0 || p.bytesRead >= (progress[i - 1] as ImportProgress).bytesRead),
    ).toBe(true);
    expect(progress[0]).toMatchObject({ lines: 1_000, accepted: 1_000, refused: 0, totalBytes });
    expect(progress.at(-1)).toEqual({
      bytesRead: totalBytes,
      totalBytes,
      lines: LINES,
      accepted: LINES,
      refused: 0,
    });
  });
});
