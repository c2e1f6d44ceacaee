import { parseIngestRecord, type TelemetryReading, telemetrySchema } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../../cloud/src/lake/import/csv-format.js';
import { shortestNumberText } from '../../../cloud/src/lake/import/csv-reading.js';
import {
  EnvelopeBatcher,
  ImportInvariantError,
  importBootId,
  importCsv,
} from '../../../cloud/src/lake/import/index.js';
import { uncoveredReadingRules } from '../../../cloud/src/lake/import/reading-rules.js';
import type { IngestRecord } from '../../../cloud/src/stream/ingest-stream.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import { IMPORT_NOW, textStream } from './import-fixtures.js';

const now = () => IMPORT_NOW;
const decoder = new TextDecoder();
const ALL = [
  'device_id',
  'seq',
  'ts',
  'temperature',
  'humidity',
  'pressure',
  'pitch',
  'roll',
  'yaw',
  'temperature_ambient',
  'temperature_cpu',
  'accel_x',
  'accel_y',
  'accel_z',
  'gyro_x',
  'gyro_y',
  'gyro_z',
  'mag_x',
  'mag_y',
  'mag_z',
];
const VALUES = [
  'coffee-pi-1',
  '7',
  '2026-03-14T08:15:30.250Z',
  '24.50',
  '41.2',
  '1013.25',
  '1.5',
  '-0.5',
  '182.25',
  '21.5',
  '55.1',
  '0.01',
  '-0.02',
  '0.98',
  '0.002',
  '-0.001',
  '0.0005',
  '25.3',
  '-12.7',
  '40.1',
];

function reading(seq: number): TelemetryReading {
  return {
    seq,
    ts: '2026-03-14T08:15:30.250Z',
    temperature: 20,
    humidity: 40,
    pressure: 1000,
    pitch: 0,
    roll: 0,
    yaw: 0,
  };
}

describe('imported records', () => {
  it('are byte-identical whatever the column order, with keys in the contract order, full rows or not', async () => {
    const line = (order: number[], values: string[]) => order.map((i) => values[i]).join(',');
    const forward = ALL.map((_, i) => i);
    const backward = [...forward].reverse();
    const partial = VALUES.map((value, i) => (ALL[i] === 'temperature_cpu' ? '' : i === 1 ? '9' : value));
    const second = VALUES.map((value, i) => (i === 1 ? '8' : value));
    const file = (order: number[]) =>
      `${line(order, ALL)}\n${line(order, VALUES)}\n${line(order, second)}\n${line(order, partial)}\n`;
    const a = new MemoryIngestStream();
    const b = new MemoryIngestStream();
    await importCsv(textStream(file(forward)), a, { now });
    await importCsv(textStream(file(backward)), b, { now });
    expect(b.records).toEqual(a.records);
    const text = decoder.decode(a.records[0]?.data);
    const full =
      '"ts":"2026-03-14T08:15:30.250Z","temperature":24.5,"humidity":41.2,"pressure":1013.25,"pitch":1.5,"roll":-0.5,"yaw":182.25,' +
      '"temperatureAmbient":21.5,"temperatureCpu":55.1,"accelX":0.01,"accelY":-0.02,"accelZ":0.98,"gyroX":0.002,"gyroY":-0.001,"gyroZ":0.0005,"magX":25.3,"magY":-12.7,"magZ":40.1}';
    expect(text).toBe(
      `{"type":"telemetry","thing":"coffee-pi-1","v":1,"deviceId":"coffee-pi-1","bootId":"${importBootId('coffee-pi-1')}","readings":[` +
        `{"seq":7,${full},{"seq":8,${full},{"seq":9,${full.replace('"temperatureCpu":55.1,', '')}]}`,
    );
  });
});

describe('imported readings JSON', () => {
  it('writes every number as JSON.stringify would, however the CSV spells it', async () => {
    const spellings = [
      '0',
      '-0',
      '0.0',
      '-0.000',
      '00',
      '+5',
      '5.',
      '.5',
      '-.5',
      '5.000',
      '05.10',
      '1013.25',
      '1013.250',
      '0.1',
      '0.000001',
      '0.0000012',
      '0.0000001',
      '-0.00000099',
      '1e2',
      '1E-2',
      '2.5e-7',
      '123456789012345',
      '1234567890123456',
      '12345.678901234567',
      '0.30000000000000004',
      '99.99999999999999',
      '100.0000000000001',
      '-179.999',
      '359.9990',
      '1.10',
      '20.',
      '.0',
      '7e0',
      '0.5e1',
    ];
    const start = Date.parse('2026-03-14T00:00:00.000Z');
    const lines = spellings.map((yaw, i) => {
      const ts = new Date(start + i * 1000).toISOString();
      return `coffee-pi-1,${ts},${(i % 100) - 20}.${i},${yaw.replace('-', '')},1000,${yaw},0,${yaw}`;
    });
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(`device_id,ts,temperature,humidity,pressure,pitch,roll,yaw\n${lines.join('\n')}\n`),
      stream,
      { now },
    );
    const accepted = spellings.filter((yaw) => Number(yaw.replace('-', '')) <= 100);
    expect(report.accepted).toBe(accepted.length);
    for (const record of stream.records) {
      const text = decoder.decode(record.data);
      expect(JSON.stringify(JSON.parse(text))).toBe(text);
      // Every reading the row checks passed is valid under the contract, reading by reading.
      const parsed = parseIngestRecord(record.data, {
        receivedAt: IMPORT_NOW,
        partitionKey: record.partitionKey,
      });
      expect(parsed.type === 'telemetry' && parsed.rejectedReadings).toEqual([]);
    }
    const yaws = stream.json<{ readings: TelemetryReading[] }>().flatMap((r) => r.readings.map((x) => x.yaw));
    expect(yaws).toEqual(accepted.map(Number).map((n) => (Object.is(n, -0) ? 0 : n)));
  });
});

describe('uncoveredReadingRules', () => {
  const columns = CSV_COLUMNS.filter((column) => column.field !== 'deviceId');
  const schema = telemetrySchema.definitions.reading;

  it('finds none: the row checks make every rule of the contract reading schema', () => {
    expect(uncoveredReadingRules(schema, columns)).toEqual([]);
  });

  it('names each rule the row checks would not make, so the import refuses to start', () => {
    const changed = {
      ...schema,
      required: [...schema.required, 'magX'],
      properties: {
        ...schema.properties,
        seq: { ...schema.properties.seq, minimum: 2 },
        ts: { ...schema.properties.ts, pattern: '^.*$' },
        humidity: { ...schema.properties.humidity, multipleOf: 0.5 },
        pitch: { ...schema.properties.pitch, type: 'integer' },
      },
    };
    const problems = uncoveredReadingRules(changed, columns);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(
      /magX is required.*\n.*seq rules.*\n.*ts rules.*\n.*humidity.*multipleOf.*\n.*pitch/s,
    );
    const { magZ: _, ...fewer } = schema.properties;
    expect(uncoveredReadingRules({ ...schema, properties: fewer }, columns)).toEqual([
      'magZ is not a reading field',
    ]);
  });
});

describe('shortestNumberText', () => {
  it('gives what JSON.stringify(Number(text)) gives, or nothing, for any decimal spelling', () => {
    // A fixed-seed generator: the same 100,000 spellings every run.
    let state = 42;
    const random = (below: number) => {
      // mulberry32: every bit of it is random, unlike a small LCG's low bits.
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % below;
    };
    const digits = (count: number) => Array.from({ length: count }, () => random(10)).join('');
    let answered = 0;
    const wrong: { text: string; shortest: string }[] = [];
    for (let i = 0; i < 100_000; i += 1) {
      const integer = ['0', digits(1 + random(18)), `0${digits(random(3))}`, ''][random(4)] as string;
      const fraction =
        random(3) === 0 ? '' : `.${'0'.repeat(random(9))}${digits(random(18))}${'0'.repeat(random(4))}`;
      const text = `${random(3) === 0 ? '-' : ''}${integer}${fraction}`;
      if (text === '' || text === '-' || text === '.' || text === '-.') continue;
      const shortest = shortestNumberText(text);
      if (shortest === undefined) continue;
      answered += 1;
      if (shortest !== JSON.stringify(Number(text))) wrong.push({ text, shortest });
    }
    expect(wrong).toEqual([]);
    expect(answered).toBeGreaterThan(25_000);
    expect(['31.00', '1013.25', '-0.0000', '0.98', '-12.700', '182'].map(shortestNumberText)).toEqual([
      '31',
      '1013.25',
      '0',
      '0.98',
      '-12.7',
      '182',
    ]);
  });
});

describe('EnvelopeBatcher', () => {
  it('adds without waiting until a batch is full, then hands back the send to await', async () => {
    const sent: IngestRecord[][] = [];
    const batcher = new EnvelopeBatcher(
      {
        putRecords: async (records) => {
          sent.push([...records]);
        },
      },
      { maxReadings: 2, maxBatchRecords: 3 },
    );
    const waits: number[] = [];
    for (let seq = 1; seq <= 13; seq += 1) {
      const waiting = batcher.add('coffee-pi-1', importBootId('coffee-pi-1'), JSON.stringify(reading(seq)));
      if (waiting !== undefined) {
        waits.push(seq);
        await waiting;
      }
    }
    // Envelopes of 2 readings, batches of 3 envelopes: a batch is full every 6 readings.
    expect(waits).toEqual([6, 12]);
    expect(sent.map((batch) => batch.length)).toEqual([3, 3]);
    await batcher.flush();
    expect(sent.map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(batcher.counts).toEqual({ readingsSent: 13, records: 7, batches: 3 });
  });

  it('keeps an envelope within maxBytes, counting its closing bracket', async () => {
    const stream = new MemoryIngestStream();
    const first = new EnvelopeBatcher(stream, { maxBytes: 100_000 });
    for (let seq = 1; seq <= 3; seq += 1)
      await first.add('coffee-pi-1', importBootId('coffee-pi-1'), JSON.stringify(reading(seq)));
    await first.flush();
    const size = stream.records[0]?.data.length as number;
    // Exactly the size of three readings fits; one byte less closes the envelope after two.
    for (const [maxBytes, records] of [
      [size, 1],
      [size - 1, 2],
    ] as const) {
      const limited = new MemoryIngestStream();
      const batcher = new EnvelopeBatcher(limited, { maxBytes });
      for (let seq = 1; seq <= 3; seq += 1)
        await batcher.add('coffee-pi-1', importBootId('coffee-pi-1'), JSON.stringify(reading(seq)));
      await batcher.flush();
      expect(limited.records).toHaveLength(records);
      expect(Math.max(...limited.records.map((r) => r.data.length))).toBeLessThanOrEqual(maxBytes);
      expect(
        limited.json<{ readings: TelemetryReading[] }>().flatMap((r) => r.readings.map((x) => x.seq)),
      ).toEqual([1, 2, 3]);
    }
  });

  it('refuses to send what breaks the contract: a bad device id or bootId, a reading that is not ASCII JSON', () => {
    const batcher = new EnvelopeBatcher(new MemoryIngestStream());
    expect(() => batcher.add('coffee pi', importBootId('coffee pi'), JSON.stringify(reading(1)))).toThrow(
      ImportInvariantError,
    );
    expect(() => batcher.add('coffee-pi-1', 'not-a-uuid', JSON.stringify(reading(1)))).toThrow(
      ImportInvariantError,
    );
    batcher.add('coffee-pi-2', importBootId('coffee-pi-2'), JSON.stringify(reading(1)));
    expect(() =>
      batcher.add(
        'coffee-pi-2',
        importBootId('coffee-pi-2'),
        JSON.stringify({ ...reading(2), ts: '2026-03-14T08:15:30.250Z\u00e9' }),
      ),
    ).toThrow(ImportInvariantError);
  });
});
