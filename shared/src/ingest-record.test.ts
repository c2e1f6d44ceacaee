import { describe, expect, it } from 'vitest';
import { type CoffeeRecord, UNKNOWN_FACE_ATTRIBUTES } from './coffee-record.js';
import { ContractValidationError } from './errors.js';
import {
  type IngestParseOptions,
  parseIngestRecord,
  RESERVED_THING_FIELD_REASON,
  TELEMETRY_TOPIC_RULE_SQL,
  telemetryIngestRecord,
  telemetryTopicRuleSql,
  withReingestedCount,
} from './ingest-record.js';
import type { TelemetryEnvelope } from './telemetry.js';
import { IdentityMismatchError } from './telemetry-check.js';

const envelope: TelemetryEnvelope = {
  v: 1,
  deviceId: 'coffee-pi-1',
  bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
  readings: [
    {
      seq: 41,
      ts: '2026-11-26T10:00:00.000Z',
      temperature: 31.2,
      humidity: 38.5,
      pressure: 1012.4,
      pitch: 1.2,
      roll: 358.9,
      yaw: 92.3,
    },
  ],
};

const coffee: CoffeeRecord = {
  ...UNKNOWN_FACE_ATTRIBUTES,
  v: 1,
  type: 'coffee',
  deviceId: 'coffee-pi-1',
  eventId: '5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c7d',
  photoKey: 'photos/coffee-pi-1/2026/11/26/5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c7d.jpg',
  capturedAt: '2026-11-26T10:00:01.000Z',
  analyzedAt: '2026-11-26T10:00:03.000Z',
  status: 'missing',
  reason: 'the photo was deleted before analysis',
  analyzer: null,
};

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const arrival = { receivedAt: new Date('2026-11-26T10:00:02.000Z') };
const fromTopic = telemetryIngestRecord(envelope, 'coffee-pi-1');

function problemsOf(payload: Uint8Array | string, options: IngestParseOptions = arrival): string[] {
  try {
    parseIngestRecord(payload, options);
  } catch (error) {
    if (error instanceof ContractValidationError) {
      expect(error.contract).toBe('ingest record v1');
      return [...error.problems];
    }
    throw error;
  }
  throw new Error('expected ContractValidationError, the record was accepted');
}

describe('the telemetry topic rule', () => {
  it("adds type and the topic's thing name to the envelope and reads every device under the prefix", () => {
    expect(TELEMETRY_TOPIC_RULE_SQL).toBe(
      "SELECT *, 'telemetry' AS type, topic(3) AS thing FROM 'dt/coffee-iot/+/telemetry' WHERE isUndefined(thing)",
    );
    // The thing's level follows the prefix's depth.
    expect(telemetryTopicRuleSql('test/lab/floor-2')).toBe(
      "SELECT *, 'telemetry' AS type, topic(4) AS thing FROM 'test/lab/floor-2/+/telemetry' WHERE isUndefined(thing)",
    );
  });

  it("never forwards a payload that sets thing itself: its value could otherwise pass for the topic's", () => {
    // In WHERE, `thing` is the payload's own field (IoT SQL evaluates WHERE on the incoming
    // message, not on the SELECT's aliases): only a message without one reaches the lake.
    expect(TELEMETRY_TOPIC_RULE_SQL).toMatch(/ WHERE isUndefined\(thing\)$/);
    expect(RESERVED_THING_FIELD_REASON).toMatch(/thing/);
  });

  it('refuses a prefix that would break out of the SQL string literal', () => {
    expect(() => telemetryTopicRuleSql("dt/x' OR 1=1 --")).toThrow(/single quote/);
  });
});

describe('parseIngestRecord', () => {
  it('reads what the topic rule writes as a telemetry envelope, without the type and thing', () => {
    expect(parseIngestRecord(json(fromTopic), arrival)).toEqual({
      type: 'telemetry',
      envelope,
      rejectedReadings: [],
      reingested: 0,
    });
    // The partition key the rule sets is the same thing name: it agrees.
    expect(parseIngestRecord(json(fromTopic), { ...arrival, partitionKey: 'coffee-pi-1' })).toMatchObject({
      envelope,
    });
  });

  it('reads a coffee record exactly as the photo pipeline puts it', () => {
    expect(parseIngestRecord(JSON.stringify(coffee), { ...arrival, partitionKey: 'coffee-pi-1' })).toEqual({
      type: 'coffee',
      record: coffee,
      reingested: 0,
    });
  });

  it('reads the reingested count of a record the Firehose transformation put back', () => {
    const again = withReingestedCount(json(fromTopic), 2);
    expect(parseIngestRecord(again, arrival)).toEqual({
      type: 'telemetry',
      envelope,
      rejectedReadings: [],
      reingested: 2,
    });
    expect(parseIngestRecord(withReingestedCount(JSON.stringify(coffee), 1), arrival)).toMatchObject({
      type: 'coffee',
      record: coffee,
      reingested: 1,
    });
  });

  it('names a payload that is not JSON, not UTF-8 or not an object', () => {
    expect(problemsOf('{"type":"telemetry",')).toEqual([expect.stringMatching(/^payload is not JSON/)]);
    expect(problemsOf(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual([
      expect.stringMatching(/^payload is not UTF-8/),
    ]);
    expect(problemsOf('[1,2]')).toEqual(['(root): must be a JSON object, got an array']);
    expect(problemsOf('null')).toEqual(['(root): must be a JSON object, got object']);
  });

  it('names a missing or unknown type', () => {
    expect(problemsOf(json(envelope))).toEqual(['/type: missing (expected one of telemetry, coffee)']);
    expect(problemsOf(json({ ...envelope, type: 'health' }))).toEqual([
      '/type: unknown type "health" (expected one of telemetry, coffee)',
    ]);
  });

  it("reports every problem of a telemetry record's own fields at once", () => {
    const bad = { ...fromTopic, v: 2, bootId: 'not-a-uuid', readings: [] };
    expect(problemsOf(json(bad))).toEqual([
      '/v: must be equal to constant ({"allowedValue":1})',
      expect.stringMatching(/^\/bootId: must match pattern/),
      '/readings: must NOT have fewer than 1 items',
    ]);
    expect(problemsOf(json({ ...fromTopic, reingested: 0 }))).toEqual([
      '/reingested: must be an integer ≥ 1, got 0',
    ]);
  });

  it('keeps the envelope closed: an unknown field besides type and thing is refused', () => {
    expect(problemsOf(json({ ...fromTopic, owner: 'someone' }))).toEqual([
      '(root): unknown property "owner"',
    ]);
  });

  it('refuses a reading on its own and lands the others, each refused one with its seq and reason', () => {
    const good = envelope.readings[0] as TelemetryEnvelope['readings'][number];
    const readings = [
      good,
      { ...good, seq: 42, humidity: 140 },
      { ...good, seq: 0 },
      { ...good, seq: 44, ts: '2026-11-26T10:05:02.001Z' },
      { ...good, seq: 45, ts: '2026-02-30T10:00:00.000Z' },
      { ...good, seq: 46, pressure: 0, yaw: 361 },
      'not a reading',
      { ...good, seq: 48, ts: '2026-11-26T10:05:02.000Z' },
    ];
    const parsed = parseIngestRecord(json({ ...fromTopic, readings }), arrival);
    if (parsed.type !== 'telemetry') throw new Error('expected telemetry');
    expect(parsed.envelope.readings.map((r) => r.seq)).toEqual([41, 48]);
    expect(parsed.rejectedReadings.map(({ index, seq, reason }) => ({ index, seq, reason }))).toEqual([
      { index: 1, seq: 42, reason: '/readings/1/humidity: must be <= 100' },
      { index: 2, seq: 0, reason: '/readings/2/seq: must be >= 1' },
      {
        index: 3,
        seq: 44,
        reason: '/readings/3/ts: 2026-11-26T10:05:02.001Z is more than 300 s after the message arrived',
      },
      { index: 4, seq: 45, reason: '/readings/4/ts: 2026-02-30T10:00:00.000Z is not a real UTC moment' },
      { index: 5, seq: 46, reason: '/readings/5/pressure: must be >= 260; /readings/5/yaw: must be <= 360' },
      { index: 6, seq: null, reason: '/readings/6: must be object' },
    ]);
    expect(parsed.rejectedReadings[1]?.reading).toEqual(readings[2]);
    // The skew is the consumer's to set.
    const strict = parseIngestRecord(json({ ...fromTopic, readings: [readings[7]] }), {
      ...arrival,
      maxFutureSkewMs: 1000,
    });
    expect(strict.type === 'telemetry' && strict.rejectedReadings.map((r) => r.seq)).toEqual([48]);
  });

  it('refuses a seq past 2^53, which JSON numbers cannot hold exactly', () => {
    const good = envelope.readings[0] as TelemetryEnvelope['readings'][number];
    const parsed = parseIngestRecord(
      json({ ...fromTopic, readings: [{ ...good, seq: 2 ** 53 + 2 }] }),
      arrival,
    );
    expect(parsed.type === 'telemetry' && parsed.rejectedReadings.map((r) => r.reason)).toEqual([
      '/readings/0/seq: must be <= 9007199254740991',
    ]);
  });
});

describe('the topic is the identity', () => {
  const forged = { ...envelope, deviceId: 'coffee-pi-2' };

  it('refuses an envelope naming another device than its topic, whole', () => {
    const payload = json(telemetryIngestRecord(forged, 'coffee-pi-1'));
    expect(() => parseIngestRecord(payload, arrival)).toThrow(IdentityMismatchError);
    expect(problemsOf(payload)).toEqual([
      'deviceId does not match topic: the payload says "coffee-pi-2", the topic\'s thing is "coffee-pi-1"',
    ]);
  });

  it('refuses an envelope whose partition key disagrees, even when its thing field was forged to match', () => {
    const payload = json(telemetryIngestRecord(forged, 'coffee-pi-2'));
    expect(() => parseIngestRecord(payload, { ...arrival, partitionKey: 'coffee-pi-1' })).toThrow(
      /deviceId does not match topic: the payload says "coffee-pi-2", the topic's thing is "coffee-pi-1"/,
    );
  });

  it('refuses the forgery before any other problem, and a record with no identity at all', () => {
    expect(problemsOf(json({ ...telemetryIngestRecord(forged, 'coffee-pi-1'), v: 2 }))[0]).toMatch(
      /^deviceId does not match topic/,
    );
    expect(problemsOf(json({ ...envelope, type: 'telemetry' }))).toEqual([
      'record carries no topic identity: neither the topic rule\'s "thing" nor a partition key',
    ]);
    // The partition key alone vouches where the record has no thing field.
    expect(
      parseIngestRecord(json({ ...envelope, type: 'telemetry' }), {
        ...arrival,
        partitionKey: 'coffee-pi-1',
      }),
    ).toMatchObject({
      envelope,
    });
    expect(problemsOf(json({ ...fromTopic, thing: 7 }))).toEqual([
      "/thing: must be the topic's thing name, got 7",
    ]);
  });

  it('takes the payload at its word only when replaying an archive older than the thing field', () => {
    const legacy = json({ ...envelope, type: 'telemetry' });
    expect(parseIngestRecord(legacy, { ...arrival, acceptUnvouched: true })).toMatchObject({ envelope });
    // Where the topic did vouch, a mismatch is refused all the same.
    const forgedWithThing = json(telemetryIngestRecord(forged, 'coffee-pi-1'));
    expect(() => parseIngestRecord(forgedWithThing, { ...arrival, acceptUnvouched: true })).toThrow(
      IdentityMismatchError,
    );
  });

  it("refuses a coffee record whose device is not its photo key's or its partition key's", () => {
    expect(() => parseIngestRecord(JSON.stringify({ ...coffee, deviceId: 'coffee-pi-2' }), arrival)).toThrow(
      IdentityMismatchError,
    );
    expect(() =>
      parseIngestRecord(JSON.stringify(coffee), { ...arrival, partitionKey: 'coffee-pi-2' }),
    ).toThrow(IdentityMismatchError);
  });

  it('reports the coffee record schema problems', () => {
    expect(problemsOf(json({ ...coffee, photoKey: 'elsewhere/x.jpg', smileConfidence: 101 }))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/photoKey: must match pattern/),
        '/smileConfidence: must be <= 100',
      ]),
    );
  });
});

describe('withReingestedCount', () => {
  it('sets the count and keeps every other field', () => {
    const bytes = withReingestedCount(withReingestedCount(JSON.stringify(coffee), 1), 2);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({ ...coffee, reingested: 2 });
  });

  it('refuses a count below 1 and a payload that is not an object', () => {
    expect(() => withReingestedCount(JSON.stringify(coffee), 0)).toThrow(RangeError);
    expect(() => withReingestedCount('[1]', 1)).toThrow(TypeError);
  });
});
