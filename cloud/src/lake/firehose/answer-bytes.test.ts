import type { TelemetryEnvelope, TelemetryReading } from '@coffee-iot/shared';
import type { FirehoseTransformationResultRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fullReading } from '../../testing/ingest-records.js';
import type { TelemetryRow } from '../rows.js';
import { ingestColumnsOf } from '../transform/ingest-columns.js';
import { SeenReadings } from '../transform/seen-readings.js';
import { TelemetryLines } from '../transform/telemetry-lines.js';
import { appendTelemetryLines, appendTelemetryRows } from '../transform/telemetry-rows.js';
import { base64OfText } from './base64-text.js';
import { ndjsonOf } from './ndjson-rows.js';
import { answerBytes, entryBytes, jsonStringBytes } from './response-size.js';

// The fast paths the Firehose answer takes must agree, byte for byte, with the slow ones they
// replace: a size off by one lets a response past Lambda's limit, a line off by one character
// lands a different row.

describe('answerBytes', () => {
  const partitionKeys = { ingest_year: '2026', ingest_month: '11', ingest_day: '27', ingest_hour: '08' };
  const ids = [
    '49546986683135544286507457936321625675700192471156000000000000000000',
    '',
    'with "quotes" and \\ backslash',
    'control\u0001char\nnewline',
    'ünïcödé ☕ and 𝄞',
    '\u2028line separator',
  ];
  for (const recordId of ids) {
    for (const result of ['Ok', 'Dropped', 'ProcessingFailed'] as const) {
      for (const metadata of [undefined, { partitionKeys }]) {
        it(`is JSON.stringify's size for ${JSON.stringify(recordId)}, ${result}, ${metadata ? 'with' : 'without'} partition keys`, () => {
          const data = 'eyJhIjoxfQo=';
          const entry: FirehoseTransformationResultRecord =
            metadata === undefined ? { recordId, result, data } : { recordId, result, metadata, data };
          const exact = Buffer.byteLength(JSON.stringify(entry));
          const keysBytes =
            metadata === undefined ? undefined : Buffer.byteLength(JSON.stringify(metadata.partitionKeys));
          expect(answerBytes(jsonStringBytes(recordId), result, keysBytes, data.length)).toBe(exact);
          const { data: _data, ...withoutData } = entry;
          expect(entryBytes(withoutData, data.length)).toBe(exact);
        });
      }
    }
  }
});

describe('appendTelemetryLines', () => {
  const first = Date.UTC(2026, 10, 26, 8);
  const ingest = ingestColumnsOf(new Date(first + 86_400_000 + 123));
  const bare = (seq: number): TelemetryReading => {
    const { seq: _s, ts, temperature, humidity, pressure, pitch, roll, yaw } = fullReading(seq, first);
    return { seq, ts, temperature, humidity, pressure, pitch, roll, yaw };
  };
  const odd: TelemetryReading = {
    ...fullReading(9, first),
    temperature: -0,
    humidity: 100,
    pressure: 1012.0000001,
    pitch: -1e-7,
    roll: 359.99999999999994,
    accelX: 0.1 + 0.2,
  };

  it('writes exactly the lines ndjsonOf writes for the rows appendTelemetryRows builds, dedupe included', () => {
    const envelope: TelemetryEnvelope = {
      v: 1,
      deviceId: 'coffee-pi_7:a-B',
      bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
      readings: [fullReading(1, first), bare(2), odd, fullReading(1, first), bare(3), bare(2)],
    };
    const rows: TelemetryRow[] = [];
    const rowsSeen = new SeenReadings();
    const rowDuplicates = appendTelemetryRows(envelope, ingest, rowsSeen, rows);
    const lines = new TelemetryLines();
    const linesSeen = new SeenReadings();
    const lineDuplicates = appendTelemetryLines(envelope, ingest, linesSeen, lines);
    expect(lines.text).toBe(ndjsonOf('telemetry', rows));
    expect(lines.rows).toBe(rows.length);
    expect(rows).toHaveLength(4);
    expect(lineDuplicates).toBe(rowDuplicates);
    expect([...linesSeen.keys()]).toEqual([...rowsSeen.keys()]);
  });

  it('appends to the text already there; another boot, device or arrival gets its own values', () => {
    const lines = new TelemetryLines();
    const seen = new SeenReadings();
    const rows: TelemetryRow[] = [];
    const rowsSeen = new SeenReadings();
    const later = ingestColumnsOf(new Date(first + 90_000_000));
    for (const [deviceId, bootId, at] of [
      ['coffee-pi-1', '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11', ingest],
      ['coffee-pi-1', 'ffffffff-8a4e-4d4a-9a51-2f3b5f9c1d11', ingest],
      ['coffee-pi-2', 'ffffffff-8a4e-4d4a-9a51-2f3b5f9c1d11', later],
    ] as const) {
      const envelope: TelemetryEnvelope = { v: 1, deviceId, bootId, readings: [bare(4), odd] };
      appendTelemetryLines(envelope, at, seen, lines);
      appendTelemetryRows(envelope, at, rowsSeen, rows);
    }
    expect(lines.text).toBe(ndjsonOf('telemetry', rows));
    expect(lines.rows).toBe(4);
  });
});

describe('base64OfText', () => {
  it("is Buffer.from(text).toString('base64') for ASCII, multi-byte text, surrogate pairs and text larger than its buffer", () => {
    const texts = [
      '',
      'a',
      'ab',
      'abc',
      '{"x":1}\n',
      'ünïcödé ☕ 𝄞 \u2028',
      'é'.repeat(40_000),
      'x'.repeat(70_000),
      '☕',
    ];
    for (const text of texts) expect(base64OfText(text)).toBe(Buffer.from(text).toString('base64'));
  });
});
