import {
  type CoffeeRecord,
  type TelemetryEnvelope,
  type TelemetryReading,
  telemetryIngestRecord,
  UNKNOWN_FACE_ATTRIBUTES,
} from '@coffee-iot/shared';
import type { FirehoseTransformationEvent, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { COFFEE_COLUMNS, PARTITION_COLUMNS, TELEMETRY_COLUMNS } from './columns.js';
import { firehoseInputsOf } from './firehose/event-inputs.js';
import { ingestInputsOfKinesisEvent } from './transform/kinesis-event.js';
import { REJECTED_TEXT_MAX_CHARS } from './transform/rejected-text.js';
import { readingKey, SeenReadings, transformIngestRecords } from './transform.js';
import type { IngestInput } from './transform-types.js';

const BOOT = '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11';
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:111122223333:stream/coffee-iot-ingest';

function reading(seq: number, extra: Partial<TelemetryReading> = {}): TelemetryReading {
  return {
    seq,
    ts: extra.ts ?? new Date(Date.UTC(2026, 10, 26, 9, 59, 0) + seq * 1000).toISOString(),
    temperature: 31 + seq / 100,
    humidity: 38.5,
    pressure: 1012.4,
    pitch: 1.2,
    roll: 358.9,
    yaw: 92.3,
    ...extra,
  };
}

function telemetry(deviceId: string, readings: TelemetryReading[]): string {
  const envelope: TelemetryEnvelope = { v: 1, deviceId, bootId: BOOT, readings };
  return JSON.stringify(telemetryIngestRecord(envelope, deviceId));
}

function coffee(n: number, deviceId = 'coffee-pi-1'): CoffeeRecord {
  const eventId = `5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c${String(n).padStart(2, '0')}`;
  return {
    ...UNKNOWN_FACE_ATTRIBUTES,
    v: 1,
    type: 'coffee',
    deviceId,
    eventId,
    photoKey: `photos/${deviceId}/2026/11/26/${eventId}.jpg`,
    capturedAt: '2026-11-26T10:00:01.250Z',
    analyzedAt: '2026-11-26T10:00:03.000Z',
    status: 'analyzed',
    reason: null,
    analyzer: 'rekognition',
    personPresent: true,
    faceCount: 1,
    smile: true,
    smileConfidence: 97.5,
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The partition key the topic rule gives a record: its topic's thing, here the payload's own device. */
function partitionKeyOf(payload: string): string {
  try {
    const { deviceId } = JSON.parse(payload) as { deviceId?: unknown };
    return typeof deviceId === 'string' ? deviceId : 'coffee-pi-1';
  } catch {
    return 'coffee-pi-1';
  }
}

/** A Lambda Kinesis event as AWS documents it: arrival in seconds with millisecond decimals. */
function kinesisEvent(payloads: readonly string[], arrivalSeconds = 1795687230.123): KinesisStreamEvent {
  return {
    Records: payloads.map((payload, i) => {
      const sequenceNumber = `4959033827149025660855969253836157109592157598913658${String(8900 + i)}`;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: partitionKeyOf(payload),
          sequenceNumber,
          data: b64(payload),
          approximateArrivalTimestamp: arrivalSeconds + i / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000006:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::111122223333:role/coffee-iot-lake',
        awsRegion: 'eu-west-1',
        eventSourceARN: STREAM_ARN,
      };
    }),
  };
}

/** A Firehose transformation event for a Kinesis source, as AWS documents it: times in ms. */
function firehoseEvent(payloads: readonly string[], arrivalMs = 1795687230123): FirehoseTransformationEvent {
  return {
    invocationId: '2b4d1ad9-2f48-94bd-a088-767c317e994a',
    sourceKinesisStreamArn: STREAM_ARN,
    deliveryStreamArn: 'arn:aws:firehose:eu-west-1:111122223333:deliverystream/coffee-iot-telemetry',
    region: 'eu-west-1',
    records: payloads.map((payload, i) => {
      const sequenceNumber = `49546986683135544286507457936321625675700192471156785${String(154 + i)}`;
      return {
        recordId: `${sequenceNumber}000000000000`,
        approximateArrivalTimestamp: arrivalMs + 5_000,
        data: b64(payload),
        kinesisRecordMetadata: {
          shardId: 'shardId-000000000000',
          partitionKey: partitionKeyOf(payload),
          approximateArrivalTimestamp: arrivalMs + i,
          sequenceNumber,
          subsequenceNumber: '0',
        },
      };
    }),
  };
}

const dataKeys = (columns: readonly { name: string }[]) =>
  [...columns.map((c) => c.name), ...PARTITION_COLUMNS].sort();

describe('transformIngestRecords from a Kinesis Lambda event', () => {
  it('makes one row per reading with every column, ingest time and partition from the arrival (UTC)', () => {
    const output = transformIngestRecords(
      ingestInputsOfKinesisEvent(
        kinesisEvent([
          telemetry('coffee-pi-1', [reading(1, { temperatureCpu: 49.4, magZ: 40.7 }), reading(2)]),
        ]),
      ),
    );
    expect(output.rejected).toEqual([]);
    expect(output.telemetry).toHaveLength(2);
    const [first] = output.telemetry;
    expect(Object.keys(first ?? {}).sort()).toEqual(dataKeys(TELEMETRY_COLUMNS));
    expect(first).toMatchObject({
      device_id: 'coffee-pi-1',
      boot_id: BOOT,
      seq: 1,
      ts: '2026-11-26 09:59:01.000',
      temperature: 31.01,
      temperature_cpu: 49.4,
      temperature_ambient: null,
      mag_z: 40.7,
      accel_x: null,
      // 1795687230.123 s: 2026-11-26T10:00:30.123Z.
      ingest_time: '2026-11-26 10:00:30.123',
      ingest_year: '2026',
      ingest_month: '11',
      ingest_day: '26',
      ingest_hour: '10',
    });
  });

  it('refuses a malformed record among good ones with its reason and text, and a bad reading on its own', () => {
    const payloads = [
      telemetry('coffee-pi-1', [reading(1)]),
      '{"type":"telemetry","v":1,"deviceId":"coffee-pi-2"', // cut short
      telemetry('coffee-pi-1', [reading(2, { humidity: 140 })]),
      JSON.stringify({ ...JSON.parse(telemetry('coffee-pi-1', [reading(3)])), type: 'health' }),
      telemetry('coffee-pi-1', [reading(4)]),
    ];
    const event = kinesisEvent(payloads);
    const output = transformIngestRecords(ingestInputsOfKinesisEvent(event));
    expect(output.telemetry.map((row) => row.seq)).toEqual([1, 4]);
    expect(output.rejected).toEqual([
      {
        id: event.Records[1]?.kinesis.sequenceNumber,
        reason: expect.stringMatching(/^payload is not JSON/),
        data: payloads[1],
      },
      {
        id: `${event.Records[2]?.kinesis.sequenceNumber}#/readings/0`,
        reason: '/readings/0/humidity: must be <= 100',
        data: JSON.stringify(reading(2, { humidity: 140 })),
        reading: { deviceId: 'coffee-pi-1', bootId: BOOT, seq: 2 },
      },
      {
        id: event.Records[3]?.kinesis.sequenceNumber,
        reason: '/type: unknown type "health" (expected one of telemetry, coffee)',
        data: payloads[3],
      },
    ]);
    expect([output.rejectedReadings, output.identityMismatches]).toEqual([1, 0]);
  });

  it('lands the good readings of an envelope and refuses each bad one, every reading accounted for once', () => {
    const readings = Array.from({ length: 400 }, (_, i) => reading(i + 1));
    readings[10] = reading(11, { temperature: 250 });
    readings[200] = reading(201, { ts: '2026-11-26T11:30:00.000Z' });
    readings[399] = { ...reading(400), seq: 0 };
    readings[300] = reading(250); // a duplicate of reading 250, sent again
    // A catch-up envelope arriving at 2026-11-26T11:00:00Z, after its last reading.
    const event = kinesisEvent([telemetry('coffee-pi-1', readings)], 1795690800);
    const output = transformIngestRecords(ingestInputsOfKinesisEvent(event));
    const id = event.Records[0]?.kinesis.sequenceNumber;
    expect(output.rejected.map((r) => [r.id, r.reading?.seq, r.reason])).toEqual([
      [`${id}#/readings/10`, 11, '/readings/10/temperature: must be <= 120'],
      [
        `${id}#/readings/200`,
        201,
        '/readings/200/ts: 2026-11-26T11:30:00.000Z is more than 300 s after the message arrived',
      ],
      [`${id}#/readings/399`, 0, '/readings/399/seq: must be >= 1'],
    ]);
    expect(output.telemetry).toHaveLength(396);
    expect(output.duplicateReadings).toBe(1);
    expect(output.telemetry.length + output.duplicateReadings + output.rejectedReadings).toBe(400);
    expect(new Set(output.telemetry.map((row) => row.seq)).has(11)).toBe(false);
  });

  it("refuses an envelope naming another device than its topic's, whole, and counts it", () => {
    const forged = telemetry('coffee-pi-2', [reading(5)]);
    const event = kinesisEvent([forged, telemetry('coffee-pi-2', [reading(5, { temperature: 40 })])]);
    // The first was published on coffee-pi-1's topic: the rule's partition key says so.
    const [forgedRecord] = event.Records;
    if (forgedRecord) forgedRecord.kinesis.partitionKey = 'coffee-pi-1';
    const output = transformIngestRecords(ingestInputsOfKinesisEvent(event));
    expect(output.telemetry.map((row) => [row.device_id, row.seq, row.temperature])).toEqual([
      ['coffee-pi-2', 5, 40],
    ]);
    expect(output.rejected.map((r) => r.reason)).toEqual([
      'deviceId does not match topic: the payload says "coffee-pi-2", the topic\'s thing is "coffee-pi-1"',
    ]);
    expect([output.identityMismatches, output.duplicateReadings]).toEqual([1, 0]);
  });

  it('keeps one row for a seq sent twice, in one envelope or two, and counts the duplicates', () => {
    const output = transformIngestRecords(
      ingestInputsOfKinesisEvent(
        kinesisEvent([
          telemetry('coffee-pi-1', [reading(7), reading(8), reading(7)]),
          telemetry('coffee-pi-1', [reading(8), reading(9)]),
          // The same seq from another device is another reading.
          telemetry('coffee-pi-2', [reading(7)]),
        ]),
      ),
    );
    expect(output.telemetry.map((row) => [row.device_id, row.seq])).toEqual([
      ['coffee-pi-1', 7],
      ['coffee-pi-1', 8],
      ['coffee-pi-1', 9],
      ['coffee-pi-2', 7],
    ]);
    expect(output.duplicateReadings).toBe(2);
  });

  it('explodes a catch-up envelope of many readings into as many rows, in order', () => {
    const readings = Array.from({ length: 3_600 }, (_, i) => reading(i + 1));
    // It arrives when the device is back, after the last reading: 2026-11-26T11:00:00Z.
    const output = transformIngestRecords(
      ingestInputsOfKinesisEvent(kinesisEvent([telemetry('coffee-pi-1', readings)], 1795690800)),
    );
    expect(output.telemetry).toHaveLength(3_600);
    expect(output.telemetry.map((row) => row.seq)).toEqual(readings.map((r) => r.seq));
    expect(output.telemetry[3_599]?.ts).toBe('2026-11-26 10:59:00.000');
  });

  it('takes coffee and telemetry mixed, one coffee row per photo key', () => {
    const output = transformIngestRecords(
      ingestInputsOfKinesisEvent(
        kinesisEvent([
          JSON.stringify(coffee(1)),
          telemetry('coffee-pi-1', [reading(1)]),
          JSON.stringify(coffee(2)),
          JSON.stringify(coffee(1)), // S3 events arrive at least once
        ]),
      ),
    );
    expect(output.telemetry).toHaveLength(1);
    expect(output.coffees.map((row) => row.event_id)).toEqual([coffee(1).eventId, coffee(2).eventId]);
    expect(output.duplicateCoffees).toBe(1);
    const [row] = output.coffees;
    expect(Object.keys(row ?? {}).sort()).toEqual(dataKeys(COFFEE_COLUMNS));
    expect(row).toMatchObject({
      device_id: 'coffee-pi-1',
      photo_key: coffee(1).photoKey,
      captured_at: '2026-11-26 10:00:01.250',
      analyzed_at: '2026-11-26 10:00:03.000',
      status: 'analyzed',
      smile: true,
      smile_confidence: 97.5,
      beard: null,
      ingest_hour: '10',
    });
  });
});

describe('transformIngestRecords from a Firehose transformation event', () => {
  it('uses the stream arrival of kinesisRecordMetadata (ms) and names records by recordId', () => {
    const event = firehoseEvent([
      telemetry('coffee-pi-1', [reading(1), reading(2), reading(1)]),
      'not json at all',
      JSON.stringify(coffee(3)),
    ]);
    const output = transformIngestRecords(firehoseInputsOf(event));
    expect(output.telemetry.map((row) => [row.seq, row.ingest_time])).toEqual([
      [1, '2026-11-26 10:00:30.123'],
      [2, '2026-11-26 10:00:30.123'],
    ]);
    expect(output.duplicateReadings).toBe(1);
    expect(output.coffees.map((row) => row.ingest_time)).toEqual(['2026-11-26 10:00:30.125']);
    expect(output.rejected).toEqual([
      {
        id: event.records[1]?.recordId,
        reason: expect.stringMatching(/^payload is not JSON/),
        data: 'not json at all',
      },
    ]);
  });
});

const at = new Date('2026-11-26T10:15:00.000Z');
const input = (data: string, id = 'rec'): IngestInput => ({
  id,
  data: new TextEncoder().encode(data),
  arrivedAt: at,
});

describe('transformIngestRecords', () => {
  it('refuses timestamps the schema pattern lets through but no clock shows', () => {
    const output = transformIngestRecords([
      input(telemetry('coffee-pi-1', [reading(1), reading(2, { ts: '2026-02-29T10:00:00.000Z' })]), 'feb29'),
      input(telemetry('coffee-pi-1', [reading(3, { ts: '2024-02-29T23:59:59.999Z' })]), 'leap'),
      input(telemetry('coffee-pi-1', [reading(4, { ts: '2026-13-01T24:00:00.000Z' })]), 'month13'),
      input(JSON.stringify({ ...coffee(1), capturedAt: '2026-04-31T10:00:00.000Z' }), 'apr31'),
    ]);
    expect(output.telemetry.map((row) => row.ts)).toEqual([
      '2026-11-26 09:59:01.000',
      '2024-02-29 23:59:59.999',
    ]);
    expect(output.coffees).toEqual([]);
    expect(output.rejected.map((r) => [r.id, r.reason])).toEqual([
      ['feb29#/readings/1', '/readings/1/ts: 2026-02-29T10:00:00.000Z is not a real UTC moment'],
      ['month13#/readings/0', '/readings/0/ts: 2026-13-01T24:00:00.000Z is not a real UTC moment'],
      ['apr31', '/capturedAt: 2026-04-31T10:00:00.000Z is not a real UTC moment'],
    ]);
  });

  it('gives each record the ingest time and hour of its own arrival, in or out of order', () => {
    const arrivals = [
      '2026-11-26T10:59:59.999Z',
      '2026-11-26T10:59:59.999Z',
      '2026-11-26T11:00:00.000Z',
      '2026-11-26T11:07:03.045Z',
      '2026-11-26T10:00:00.001Z',
      '2026-12-31T23:59:59.000Z',
      '2027-01-01T00:00:00.000Z',
      '1969-12-31T23:30:00.250Z',
      '1970-01-01T00:10:00.000Z',
    ];
    // Each reading taken a second before its arrival.
    const output = transformIngestRecords(
      arrivals.map((iso, i) => ({
        ...input(
          telemetry('coffee-pi-1', [reading(i + 1, { ts: new Date(Date.parse(iso) - 1000).toISOString() })]),
        ),
        arrivedAt: new Date(iso),
      })),
    );
    expect(
      output.telemetry.map((row) => [
        row.ingest_time,
        row.ingest_year,
        row.ingest_month,
        row.ingest_day,
        row.ingest_hour,
      ]),
    ).toEqual(
      arrivals.map((iso) => [
        iso.slice(0, 23).replace('T', ' '),
        iso.slice(0, 4),
        iso.slice(5, 7),
        iso.slice(8, 10),
        iso.slice(11, 13),
      ]),
    );
  });

  it('refuses a seq JSON cannot hold exactly, and a record with no usable arrival time', () => {
    const output = transformIngestRecords([
      input(
        telemetry('coffee-pi-1', [reading(2 ** 53 + 2, { ts: '2026-11-26T10:00:00.000Z', temperature: 31 })]),
        'huge',
      ),
      { ...input(telemetry('coffee-pi-1', [reading(1)]), 'nodate'), arrivedAt: new Date(Number.NaN) },
    ]);
    expect(output.telemetry).toEqual([]);
    expect(output.rejected.map((r) => [r.id, r.reason])).toEqual([
      ['huge#/readings/0', '/readings/0/seq: must be <= 9007199254740991'],
      ['nodate', expect.stringMatching(/^arrival time unusable: RangeError/)],
    ]);
  });

  it('leaves refused readings and records out of the dedupe: they land when they come again, corrected', () => {
    const seenReadings = new SeenReadings();
    const first = transformIngestRecords(
      [
        input(telemetry('coffee-pi-1', [reading(1), reading(2, { ts: '2026-02-30T00:00:00.000Z' })])),
        input(
          JSON.stringify({ ...JSON.parse(telemetry('coffee-pi-1', [reading(3)])), thing: 'coffee-pi-9' }),
        ),
      ],
      { seenReadings },
    );
    expect(first.telemetry.map((row) => row.seq)).toEqual([1]);
    expect(first.rejected).toHaveLength(2);
    expect([...seenReadings.keys()]).toEqual([readingKey('coffee-pi-1', 1)]);
    const again = transformIngestRecords(
      [input(telemetry('coffee-pi-1', [reading(1), reading(2), reading(3)]))],
      {
        seenReadings,
      },
    );
    expect(again.telemetry.map((row) => row.seq)).toEqual([2, 3]);
    expect(again.duplicateReadings).toBe(1);
  });

  it('dedupes against the seen-sets the caller keeps across batches, and adds what it emits', () => {
    const seenReadings = new SeenReadings();
    const seenCoffees = new Set<string>();
    const batch = [
      input(telemetry('coffee-pi-1', [reading(1), reading(2)])),
      input(JSON.stringify(coffee(1))),
    ];
    const first = transformIngestRecords(batch, { seenReadings, seenCoffees });
    expect([first.telemetry.length, first.coffees.length]).toEqual([2, 1]);
    expect([...seenReadings.keys()]).toEqual([readingKey('coffee-pi-1', 1), readingKey('coffee-pi-1', 2)]);
    expect([...seenCoffees]).toEqual([coffee(1).photoKey]);

    const replayed = transformIngestRecords([...batch, input(telemetry('coffee-pi-1', [reading(3)]))], {
      seenReadings,
      seenCoffees,
    });
    expect(replayed.telemetry.map((row) => row.seq)).toEqual([3]);
    expect(replayed.coffees).toEqual([]);
    expect([replayed.duplicateReadings, replayed.duplicateCoffees]).toEqual([2, 1]);
  });

  it('accepts a Set<string> of readingKey()s as the seen readings, with the same result', () => {
    const seenReadings = new Set([readingKey('coffee-pi-1', 2)]);
    const output = transformIngestRecords([input(telemetry('coffee-pi-1', [reading(1), reading(2)]))], {
      seenReadings,
    });
    expect(output.telemetry.map((row) => row.seq)).toEqual([1]);
    expect([...seenReadings].sort()).toEqual(['coffee-pi-1 1', 'coffee-pi-1 2']);
    expect(SeenReadings.fromKeys(seenReadings).has('coffee-pi-1', 1)).toBe(true);
  });

  it('truncates the text of a huge refused record and says how big it was', () => {
    const huge = `{"type":"coffee","note":"${'x'.repeat(20_000)}"}`;
    const [rejected] = transformIngestRecords([input(huge)]).rejected;
    expect(rejected?.data.startsWith('{"type":"coffee","note":"xxx')).toBe(true);
    expect(rejected?.data).toMatch(/… \(truncated, 20027 bytes in all\)$/);
    expect(rejected?.data.length).toBeLessThan(REJECTED_TEXT_MAX_CHARS + 50);
  });

  it('shows a record that is not UTF-8 with replacement characters', () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]);
    const output = transformIngestRecords([{ id: 'bin', data: bytes, arrivedAt: at }]);
    expect(output.rejected).toEqual([
      { id: 'bin', reason: expect.stringMatching(/^payload is not UTF-8/), data: '{"\uFFFD"}' },
    ]);
  });
});
