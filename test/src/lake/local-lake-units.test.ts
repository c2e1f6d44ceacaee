import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TELEMETRY_COLUMNS } from '../../../cloud/src/lake/columns.js';
import { partitionValuesOf } from '../../../cloud/src/lake/layout.js';
import { writeBatchOutput } from '../../../cloud/src/lake/local/batch-output.js';
import { encodeColumns, RowShapeError } from '../../../cloud/src/lake/local/column-batch.js';
import { hoursTouched, parseUtcTime, replayWindow } from '../../../cloud/src/lake/local/hour-window.js';
import { LakeTimestampParser, lakeTimestampMillis } from '../../../cloud/src/lake/local/lake-timestamp.js';
import { ParquetWriter } from '../../../cloud/src/lake/local/parquet-writer.js';
import { compressRawBatch, encodeRawBatch } from '../../../cloud/src/lake/local/raw-archive.js';
import { RawBodyBuffers } from '../../../cloud/src/lake/local/raw-body-buffers.js';
import { filesWithOverlappingRanges } from '../../../cloud/src/lake/local/seq-ranges.js';
import { transformIngestRecords } from '../../../cloud/src/lake/transform.js';
import { fullReading, telemetryIngestJson } from '../../../cloud/src/testing/ingest-records.js';

describe('lake timestamps', () => {
  it('reads YYYY-MM-DD HH:MM:SS.mmm as UTC epoch milliseconds, NaN for anything else', () => {
    expect(lakeTimestampMillis('2026-03-05 10:00:00.123')).toBe(Date.UTC(2026, 2, 5, 10, 0, 0, 123));
    expect(lakeTimestampMillis('0050-01-01 00:00:00.000')).toBe(Date.parse('0050-01-01T00:00:00.000Z'));
    for (const bad of [
      '2026-03-05T10:00:00.123',
      '2026-03-05 10:00:00',
      '2026-13-05 10:00:00.000',
      '2026-03-05 24:00:00.000',
      'x'.repeat(23),
    ]) {
      expect(lakeTimestampMillis(bad), bad).toBeNaN();
    }
  });

  it('parses a column in order the same as one by one, across minutes, hours and bad values', () => {
    const parser = new LakeTimestampParser();
    const column = [
      '2026-03-05 10:58:59.999',
      '2026-03-05 10:59:00.000',
      '2026-03-05 10:59:59.500',
      '2026-03-05 11:00:00.001',
      '2026-03-05 11:00:7x.001',
      '2026-03-05 11:00:60.000',
      '2026-03-05 11:00:01.250',
      '2026-12-31 23:59:59.999',
      '2027-01-01 00:00:00.000',
    ];
    expect(column.map((text) => parser.parse(text))).toEqual(column.map(lakeTimestampMillis));
  });
});

describe('seq ranges', () => {
  const range = (file: string, device: string, lo: number, hi: number) => ({ file, device, lo, hi });

  it('finds exactly the files whose ranges for a device overlap another file’s', () => {
    expect(
      filesWithOverlappingRanges([
        range('a', 'd1', 1, 10),
        range('b', 'd1', 11, 20), // touches nothing: 11 > 10
        range('c', 'd1', 20, 25), // shares 20 with b
        range('d', 'd2', 1, 10), // another device
        range('e', 'd1', 30, 40),
        range('f', 'd1', 32, 33), // inside e
        range('g', 'd1', 50, 50),
      ]),
    ).toEqual(new Set(['b', 'c', 'e', 'f']));
    expect(filesWithOverlappingRanges([range('a', 'd1', 5, 5), range('b', 'd1', 1, 100)])).toEqual(
      new Set(['a', 'b']),
    );
    expect(filesWithOverlappingRanges([])).toEqual(new Set());
  });
});

describe('column encoding', () => {
  it('refuses a row that does not fit its columns, naming row and column', () => {
    const row = { device_id: 'x', boot_id: 'b', seq: 1.5 };
    expect(() => encodeColumns(TELEMETRY_COLUMNS, [row])).toThrow(RowShapeError);
    expect(() => encodeColumns(TELEMETRY_COLUMNS, [row])).toThrow(
      'row 0: seq (bigint, required) cannot be 1.5',
    );
  });
});

describe('raw batches', () => {
  it('puts each record on one line, line breaks inside as spaces', () => {
    const encoder = new TextEncoder();
    const { body, lines } = encodeRawBatch([
      encoder.encode('{"a":\n1}'),
      encoder.encode(''),
      encoder.encode('{"b":2}\r'),
    ]);
    expect(body.toString()).toBe('{"a": 1}\n\n{"b":2} \n');
    expect(lines.map((line) => Buffer.from(line).toString())).toEqual(['{"a": 1}', '', '{"b":2} ']);
  });

  it('lends a body to one batch at a time: the next batch gets it only once the first is compressed', async () => {
    const buffers = new RawBodyBuffers();
    const records = (text: string) =>
      Array.from({ length: 50 }, (_, i) => encoder.encode(`{"${text}":${i}}`));
    const first = encodeRawBatch(records('first'), buffers);
    const firstCompressed = compressRawBatch(first);
    // While the first is being compressed, a second batch must not write into its body.
    const second = encodeRawBatch(records('second'), buffers);
    expect(second.body.buffer).not.toBe(first.body.buffer);
    const secondCompressed = compressRawBatch(second);
    expect(gunzipSync(await firstCompressed).toString()).toBe(ndjson(records('first')));
    expect(gunzipSync(await secondCompressed).toString()).toBe(ndjson(records('second')));
    expect(buffers.kept).toBe(2);
    // A third batch reuses a body; the lines given to the transform are not views into it.
    const third = encodeRawBatch(records('third'), buffers);
    expect([first.body.buffer, second.body.buffer]).toContain(third.body.buffer);
    expect(first.lines.map((line) => Buffer.from(line).toString())).toEqual(
      records('first').map((line) => Buffer.from(line).toString()),
    );
    expect(gunzipSync(await compressRawBatch(third)).toString()).toBe(ndjson(records('third')));
  });

  it('keeps a few bodies, the largest, and none over its size limit', () => {
    const buffers = new RawBodyBuffers(2, 1024 * 1024);
    buffers.give(Buffer.alloc(100_000));
    buffers.give(Buffer.alloc(300_000));
    buffers.give(Buffer.alloc(200_000));
    buffers.give(Buffer.alloc(2 * 1024 * 1024));
    expect(buffers.kept).toBe(2);
    expect(buffers.take(250_000).length).toBe(300_000);
    expect(buffers.take(150_000).length).toBe(200_000);
    expect(buffers.kept).toBe(0);
    expect(buffers.take(10).length).toBeGreaterThanOrEqual(10);
  });
});

const encoder = new TextEncoder();
const ndjson = (records: Uint8Array[]) =>
  records.map((record) => `${Buffer.from(record).toString()}\n`).join('');

describe('replay windows', () => {
  it('reads UTC times in the forms the CLI takes', () => {
    expect(parseUtcTime('2026-03-05').toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(parseUtcTime('2026-03-05T10').toISOString()).toBe('2026-03-05T10:00:00.000Z');
    expect(parseUtcTime('2026-03-05 10:00:00Z').toISOString()).toBe('2026-03-05T10:00:00.000Z');
    expect(parseUtcTime('2026-03-05T10:30:15.5').toISOString()).toBe('2026-03-05T10:30:15.500Z');
  });

  it('lists every hour a window touches', () => {
    expect(
      hoursTouched({ from: new Date('2026-03-05T22:30:00Z'), to: new Date('2026-03-06T01:00:00Z') }).map(
        (h) => h.path,
      ),
    ).toEqual([
      'ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=22',
      'ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=23',
      'ingest_year=2026/ingest_month=03/ingest_day=06/ingest_hour=00',
    ]);
    expect(() =>
      replayWindow(new Date('2026-03-05T10:00:00Z'), new Date('2026-03-05T10:00:00.001Z')),
    ).toThrow(/to 2026-03-05T10:00:00.001Z is not on a whole UTC hour/);
  });
});

describe('batch output', () => {
  it('writes one file per ingest partition when a batch spans two, rows interleaved', async () => {
    const hour = (h: number) => new Date(Date.UTC(2026, 2, 5, h, 30));
    const first = Date.UTC(2026, 2, 5, 9, 0);
    const input = (seq: number, at: Date) => ({
      id: `r${seq}`,
      data: encoder.encode(telemetryIngestJson('coffee-pi-01', BOOT, [fullReading(seq, first)])),
      arrivedAt: at,
      partitionKey: 'coffee-pi-01',
    });
    const output = transformIngestRecords([input(1, hour(10)), input(2, hour(11)), input(3, hour(10))]);
    expect(output.telemetry).toHaveLength(3);
    const root = await mkdtemp(join(tmpdir(), 'coffee-iot-batch-output-'));
    const writer = await ParquetWriter.open();
    try {
      const files = await writeBatchOutput(
        { root, writer },
        'stem',
        output,
        hour(10),
        partitionValuesOf(hour(10)),
      );
      expect(files.map((file) => [file.partition, file.rows])).toEqual([
        ['ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=10', 2],
        ['ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=11', 1],
      ]);
      for (const file of files) {
        expect(await writer.countParquetRows(join(root, file.key))).toBe(file.rows);
      }
    } finally {
      await writer.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

const BOOT = '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
