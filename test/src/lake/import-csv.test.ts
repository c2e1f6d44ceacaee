import { parseIngestRecord } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import {
  IMPORT_BOOT_ID_NAMESPACE,
  ImportHeaderError,
  ImportInterruptedError,
  importBootId,
  importCsv,
  uuidV5,
} from '../../../cloud/src/lake/import/index.js';
import { StreamUnavailableError } from '../../../cloud/src/stream/ingest-stream.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import { fixtureStream, HEADER, IMPORT_NOW, type TelemetryRecord, textStream } from './import-fixtures.js';

const now = () => IMPORT_NOW;
// Pinned, not recomputed: if the derivation ever changed, re-importing an old file would add every
// reading again under a new bootId (and the same seq), so these values must never move.
const BOOT_PI_1 = 'd34e2bcc-6004-539d-8098-e57a59636485';
const BOOT_PI_2 = '2be9cbf3-7410-5044-b2a5-4d4e6e0a332c';

function reading(ts: string, values: [number, number, number, number, number, number]) {
  const [temperature, humidity, pressure, pitch, roll, yaw] = values;
  return { seq: Date.parse(ts), ts, temperature, humidity, pressure, pitch, roll, yaw };
}

describe('importCsv', () => {
  it('refuses each bad line with its physical line number and reason, and sends the good ones once', async () => {
    const stream = new MemoryIngestStream();
    const report = await importCsv(fixtureStream('readings-with-bad-lines.csv'), stream, { now });

    expect(report.refusedLines).toEqual([
      { line: 3, reason: 'temperature: "warm" is not a number' },
      { line: 4, reason: 'ts: "2026-03-14T25:15:32.250Z" is not a real date and time' },
      { line: 5, reason: 'device_id: "coffee pi 1" is not a thing name (1-128 of A-Z a-z 0-9 : _ -)' },
      { line: 6, reason: 'humidity: missing value' },
      // "21,5" unquoted: a decimal comma splits the row into one field too many.
      { line: 11, reason: 'expected 8 fields as in the header, got 9' },
      { line: 12, reason: 'humidity: "120" is above 100' },
    ]);
    expect(report).toMatchObject({
      lines: 11,
      accepted: 5,
      refused: 6,
      records: 2,
      batches: 1,
      firstTs: '2026-03-14T08:15:30.250Z',
      lastTs: '2026-03-14T08:15:36.000Z',
      stoppedAt: null,
    });
    expect(report.devices).toEqual([
      {
        deviceId: 'coffee-pi-1',
        bootId: BOOT_PI_1,
        readings: 3,
        firstTs: '2026-03-14T08:15:30.250Z',
        lastTs: '2026-03-14T08:15:35.250Z',
      },
      {
        deviceId: 'coffee-pi-2',
        bootId: BOOT_PI_2,
        readings: 2,
        firstTs: '2026-03-14T08:15:35.000Z',
        lastTs: '2026-03-14T08:15:36.000Z',
      },
    ]);

    expect(stream.records.map((record) => record.partitionKey)).toEqual(['coffee-pi-1', 'coffee-pi-2']);
    expect(stream.json<TelemetryRecord>()).toEqual([
      {
        type: 'telemetry',
        thing: 'coffee-pi-1',
        v: 1,
        deviceId: 'coffee-pi-1',
        bootId: BOOT_PI_1,
        readings: [
          reading('2026-03-14T08:15:30.250Z', [24.5, 41.2, 1013.25, 1.5, -0.5, 182.25]),
          // Line 7: the quoted ts holds a comma (ISO-8601's decimal comma) and an offset.
          reading('2026-03-14T08:15:34.250Z', [24.7, 41.4, 1013.1, 1.6, -0.4, 183]),
          reading('2026-03-14T08:15:35.250Z', [24.8, 41.5, 1013, 1.6, -0.4, 183.5]),
        ],
      },
      {
        type: 'telemetry',
        thing: 'coffee-pi-2',
        v: 1,
        deviceId: 'coffee-pi-2',
        bootId: BOOT_PI_2,
        readings: [
          reading('2026-03-14T08:15:35.000Z', [22, 38.5, 1009.8, 0, 0, 90]),
          reading('2026-03-14T08:15:36.000Z', [22.1, 38.5, 1009.8, 0, 0, 90.5]),
        ],
      },
    ]);
    // Each record is a valid ingest-stream record, as the transform will read it.
    for (const record of stream.records) {
      const parsed = parseIngestRecord(record.data, {
        receivedAt: new Date(),
        partitionKey: record.partitionKey,
      });
      expect(parsed.type === 'telemetry' && parsed.rejectedReadings).toEqual([]);
    }
  });

  it('sends byte-identical records when the same file is imported twice, so the lake keeps one row each', async () => {
    const first = new MemoryIngestStream();
    const second = new MemoryIngestStream();
    await importCsv(fixtureStream('readings-with-bad-lines.csv'), first, { now });
    await importCsv(fixtureStream('readings-with-bad-lines.csv'), second, { now: () => new Date() });

    expect(second.records).toEqual(first.records);
    const keys = [...first.json<TelemetryRecord>(), ...second.json<TelemetryRecord>()].flatMap((record) =>
      record.readings.map((r) => `${record.deviceId}/${record.bootId}/${r.seq}`),
    );
    // Ten readings sent over two imports, five distinct (deviceId, seq): what the dedupe keeps.
    expect(keys).toHaveLength(10);
    expect(new Set(keys).size).toBe(5);
  });

  it('derives the import bootId as a version 5 UUID of the device id', () => {
    // RFC 9562's own example namespace and a well-known vector (Python's uuid.uuid5 agrees).
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    expect(IMPORT_BOOT_ID_NAMESPACE).toBe('ed1569e9-93e3-54d5-81f2-83cf1a6685b4');
    expect(importBootId('coffee-pi-1')).toBe(BOOT_PI_1);
  });

  it('reads BOM, CRLF, blank lines, quoted fields and any column order or name style alike', async () => {
    const plain = new MemoryIngestStream();
    await importCsv(
      textStream(
        `${HEADER}\ncoffee-pi-1,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25,\n`.replace(
          /,\n$/,
          '\n',
        ),
      ),
      plain,
      { now },
    );
    const awkward = new MemoryIngestStream();
    const report = await importCsv(
      textStream(
        '\uFEFF\r\nYaw,Roll,Pitch,PRESSURE,humidity,Temperature,"TS",deviceId\r\n\r\n' +
          '  182.25 , -0.5,1.5,"1013.25",41.2,24.5,2026-03-14T09:15:30.250+01:00,"coffee-pi-1"\r\n',
      ),
      awkward,
      { now },
    );
    expect(report).toMatchObject({ lines: 1, accepted: 1, refused: 0 });
    expect(awkward.records).toEqual(plain.records);
    expect(plain.records).toHaveLength(1);
  });

  it('numbers lines as an editor does even after a quoted line break in a CRLF file', async () => {
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(
        `${HEADER}\r\n` +
          '"coffee-pi-1\r\nx",2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25\r\n' +
          '\r\n' +
          'coffee-pi-1,2026-03-14T08:15:31.250Z,24.5,41.2,1013.25,1.5,-0.5,oops\r\n',
      ),
      stream,
      { now },
    );
    expect(report.refusedLines).toEqual([
      { line: 2, reason: 'record spans lines 2-3 (a quoted field holds a line break)' },
      { line: 5, reason: 'yaw: "oops" is not a number' },
    ]);
  });

  it('takes the optional fields and a seq column, and derives seq from ts where seq is empty', async () => {
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(
        `${HEADER},seq,temperature_ambient,temperatureCpu,mag_z\n` +
          'coffee-pi-1,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25,42,21.5,55.1,\n' +
          'coffee-pi-1,2026-03-14T08:15:31.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25,,,,-12.5\n' +
          'coffee-pi-1,2026-03-14T08:15:32.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25,0,,,\n',
      ),
      stream,
      { now },
    );
    expect(report.refusedLines).toEqual([{ line: 4, reason: 'seq: "0" is not a whole number from 1 up' }]);
    const [record] = stream.json<TelemetryRecord>();
    expect(record?.readings).toEqual([
      {
        ...reading('2026-03-14T08:15:30.250Z', [24.5, 41.2, 1013.25, 1.5, -0.5, 182.25]),
        seq: 42,
        temperatureAmbient: 21.5,
        temperatureCpu: 55.1,
      },
      { ...reading('2026-03-14T08:15:31.250Z', [24.5, 41.2, 1013.25, 1.5, -0.5, 182.25]), magZ: -12.5 },
    ]);
  });

  it('reads epoch seconds and milliseconds, and refuses times without a zone or out of range', async () => {
    const rows = [
      '1773476130.25', // seconds with a fraction
      '1773476131250', // milliseconds
      '2026-03-14T08:15:32.250123Z', // microseconds: cut to the millisecond
      '2026-03-14T08:15:33', // no zone
      '1773476134', // fine
      '1331712930', // 2012-03-14 in seconds: fine
      '1331712930000000', // microseconds read as milliseconds: far future
      '99999999999999999999', // past what a Date holds
      '86400000', // 1970-01-02 in ms, read as seconds: 1972
      '2026-03-21T00:00:01Z', // a day and a second after the clock
      'yesterday',
      '2024-02-29T12:00:00Z', // a leap day
      '2026-02-29T12:00:00Z', // not one
      '2026-03-14T08:15:30.5-02:30', // a tenth of a second and a half-hour offset
    ];
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(`${HEADER}\n${rows.map((ts) => `coffee-pi-1,${ts},20,40,1000,0,0,0`).join('\n')}\n`),
      stream,
      { now },
    );
    expect(report.refusedLines).toEqual([
      {
        line: 5,
        reason: 'ts: "2026-03-14T08:15:33" has no time zone (add Z for UTC or an offset such as +01:00)',
      },
      {
        line: 8,
        reason: 'ts: "1331712930000000" is +044170-04-21T02:20:00.000Z, more than a day in the future',
      },
      { line: 9, reason: 'ts: "99999999999999999999" is too large for epoch milliseconds' },
      {
        line: 10,
        reason:
          'ts: "86400000" is 1972-09-27T00:00:00.000Z, before 2012-01-01, the earliest the import takes',
      },
      {
        line: 11,
        reason: 'ts: "2026-03-21T00:00:01Z" is 2026-03-21T00:00:01.000Z, more than a day in the future',
      },
      {
        line: 12,
        reason: 'ts: "yesterday" is neither an ISO-8601 date-time (2026-03-14T08:15:30.250Z) nor epoch time',
      },
      { line: 14, reason: 'ts: "2026-02-29T12:00:00Z" is not a real date and time' },
    ]);
    expect(stream.json<TelemetryRecord>()[0]?.readings.map((r) => r.ts)).toEqual([
      '2026-03-14T08:15:30.250Z',
      '2026-03-14T08:15:31.250Z',
      '2026-03-14T08:15:32.250Z',
      '2026-03-14T08:15:34.000Z',
      '2012-03-14T08:15:30.000Z',
      '2024-02-29T12:00:00.000Z',
      '2026-03-14T10:45:30.500Z',
    ]);
  });

  it('refuses a reading that repeats the previous one of its device rather than let the dedupe drop it', async () => {
    const line = 'coffee-pi-1,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25';
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(`${HEADER}\n${line}\n${line.replace('24.5', '25')}\n`),
      stream,
      {
        now,
      },
    );
    expect(report.refusedLines).toEqual([
      {
        line: 3,
        reason:
          'repeats device coffee-pi-1 seq 1773476130250 (ts 2026-03-14T08:15:30.250Z) of line 2: the lake keeps one reading per device and seq',
      },
    ]);
    expect(report.accepted).toBe(1);
  });

  it('stops at a CSV syntax error, keeps the rows before it and says where the read ended', async () => {
    const good = 'coffee-pi-1,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25';
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(
        `${HEADER}\n${good}\n\n\ncoffee-pi-1,"2026-03-14" x,1,2,3,4,5,6\n${good.replace('30.250', '31.250')}\n`,
      ),
      stream,
      { now },
    );
    expect(report).toMatchObject({ lines: 1, accepted: 1, refused: 0 });
    expect(report.stoppedAt?.line).toBe(5);
    expect(report.stoppedAt?.reason).toMatch(
      /^invalid CSV \(CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: .*the rest of the file was not read$/,
    );
    expect(stream.json<TelemetryRecord>()[0]?.readings).toHaveLength(1);
  });

  it('stops at an unclosed quote instead of reading the rest of the file as one field', async () => {
    const good = 'coffee-pi-1,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25';
    const rest = Array.from({ length: 50 }, (_, i) =>
      good.replace('30.250', `${String(i).padStart(2, '0')}.500`),
    );
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(
        `${HEADER}\n${good}\ncoffee-pi-1,"2026-03-14T08:15:31.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25\n${rest.join('\n')}\n`,
      ),
      stream,
      { now },
    );
    expect(report).toMatchObject({ lines: 1, accepted: 1, refused: 0 });
    expect(report.stoppedAt?.line).toBe(3);
    expect(report.stoppedAt?.reason).toMatch(/^invalid CSV \(CSV_QUOTE_NOT_CLOSED: /);
  });

  it('keeps a stray quote inside an unquoted field as text and refuses that line only', async () => {
    const stream = new MemoryIngestStream();
    const report = await importCsv(
      textStream(
        `${HEADER}\ncoffee-pi-1,2026-03-14T08:15:30.250Z,24"5,41.2,1013.25,1.5,-0.5,182.25\n` +
          'coffee-pi-1,2026-03-14T08:15:31.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25\n',
      ),
      stream,
      { now },
    );
    expect(report.refusedLines).toEqual([{ line: 2, reason: 'temperature: "24\\"5" is not a number' }]);
    expect(report).toMatchObject({ accepted: 1, stoppedAt: null });
  });

  it('names every missing and unknown column of a bad header, and sends nothing', async () => {
    const stream = new MemoryIngestStream();
    const error = await importCsv(
      textStream('device_id,timestamp,temperature,humidty,pressure,pitch,roll,yaw,ts\ncoffee-pi-1,1,2,3\n'),
      stream,
      { now },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportHeaderError);
    expect(error).toMatchObject({ missing: ['humidity'], unknown: ['timestamp', 'humidty'] });
    expect((error as Error).message).toBe(
      'bad CSV header: missing required column(s): humidity; unknown column(s): "timestamp", "humidty" ' +
        '(remove them, or rename them to a column of the format; see "coffee-iot import --help")',
    );
    expect(stream.calls).toBe(0);
  });

  it('refuses a file without a header and a header naming a column twice', async () => {
    await expect(importCsv(textStream(''), new MemoryIngestStream(), { now })).rejects.toThrow(
      'bad CSV header: the file is empty: a header row naming the columns is required',
    );
    await expect(
      importCsv(textStream(`${HEADER},temperatureAmbient,TEMPERATURE_AMBIENT\n`), new MemoryIngestStream(), {
        now,
      }),
    ).rejects.toThrow('bad CSV header: column temperature_ambient is named twice (columns 9 and 10)');
    // A file whose first line is data: the cells are no column names.
    await expect(
      importCsv(
        textStream('coffee-pi-1,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25\n'),
        new MemoryIngestStream(),
        { now },
      ),
    ).rejects.toThrow(
      /missing required column\(s\): device_id, ts, temperature, .*unknown column\(s\): "coffee-pi-1"/,
    );
  });

  it('packs envelopes within the reading and byte limits and batches within the PutRecords limits', async () => {
    const header = `${HEADER},temperature_ambient,temperature_cpu,accel_x,accel_y,accel_z,gyro_x,gyro_y,gyro_z,mag_x,mag_y,mag_z`;
    const start = Date.parse('2026-03-14T00:00:00.000Z');
    const lines = Array.from({ length: 1_200 }, (_, i) => {
      const extra = Array.from({ length: 11 }, (_, k) => (i * 0.000123 + k + 0.123456789).toFixed(9));
      return `coffee-pi-${i % 2},${new Date(start + i * 1000).toISOString()},21.123456,40.5,1001.25,1.25,2.5,3.75,${extra.join(',')}`;
    });
    const stream = new MemoryIngestStream();
    const report = await importCsv(textStream(`${header}\n${lines.join('\n')}\n`, 65_536), stream, {
      now,
      envelopeLimits: { maxBatchRecords: 4 },
    });
    const sizes = stream.records.map((record) => record.data.length);
    const readings = stream.json<TelemetryRecord>().map((record) => record.readings.length);
    expect(report).toMatchObject({ accepted: 1_200, records: stream.records.length });
    expect(readings.reduce((a, b) => a + b, 0)).toBe(1_200);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(120_000);
    // ~330 bytes a reading: the byte limit, not the 500 readings, closes these envelopes.
    expect(Math.max(...readings)).toBeLessThan(500);
    expect(Math.max(...readings)).toBeGreaterThan(300);
    expect(report.batches).toBe(stream.calls);
    expect(report.batches).toBe(Math.ceil(stream.records.length / 4));
  });

  it('closes an envelope at 500 readings', async () => {
    const start = Date.parse('2026-03-14T00:00:00.000Z');
    const lines = Array.from({ length: 1_001 }, (_, i) => `coffee-pi-1,${start + i * 1000},20,40,1000,0,0,0`);
    const stream = new MemoryIngestStream();
    await importCsv(textStream(`${HEADER}\n${lines.join('\n')}\n`, 65_536), stream, { now });
    expect(stream.json<TelemetryRecord>().map((record) => record.readings.length)).toEqual([500, 500, 1]);
  });

  it('stops with ImportInterruptedError, counting only what the stream took, when the stream keeps refusing', async () => {
    const start = Date.parse('2026-03-14T00:00:00.000Z');
    const lines = Array.from({ length: 1_500 }, (_, i) => `coffee-pi-1,${start + i * 1000},20,40,1000,0,0,0`);
    const stream = new MemoryIngestStream();
    let calls = 0;
    const flaky = {
      putRecords: async (records: Parameters<MemoryIngestStream['putRecords']>[0]) => {
        calls += 1;
        if (calls === 2) stream.failNext(1, 'throttled for good');
        return stream.putRecords(records);
      },
    };
    const error = await importCsv(textStream(`${HEADER}\n${lines.join('\n')}\n`, 65_536), flaky, {
      now,
      envelopeLimits: { maxBatchRecords: 1 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportInterruptedError);
    expect((error as Error).cause).toBeInstanceOf(StreamUnavailableError);
    expect((error as ImportInterruptedError).report).toMatchObject({ accepted: 500, records: 1, batches: 1 });
    expect((error as Error).message).toMatch(
      /500 reading\(s\) sent: .*throttled for good; importing the file again is safe/,
    );
  });
});
