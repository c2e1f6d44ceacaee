import { describe, expect, it } from 'vitest';
import { type CoffeeRecord, UNKNOWN_FACE_ATTRIBUTES } from './coffee-record.js';
import { ContractValidationError } from './errors.js';
import {
  parseIngestRecord,
  TELEMETRY_TOPIC_RULE_SQL,
  telemetryIngestRecord,
  telemetryTopicRuleSql,
  withReingestedCount,
} from './ingest-record.js';
import type { TelemetryEnvelope } from './telemetry.js';

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

function problemsOf(payload: Uint8Array | string): string[] {
  try {
    parseIngestRecord(payload);
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
  it('adds type to the envelope and reads every device under the prefix', () => {
    expect(TELEMETRY_TOPIC_RULE_SQL).toBe("SELECT *, 'telemetry' AS type FROM 'dt/coffee-iot/+/telemetry'");
    expect(telemetryTopicRuleSql('test/lab')).toBe(
      "SELECT *, 'telemetry' AS type FROM 'test/lab/+/telemetry'",
    );
  });

  it('refuses a prefix that would break out of the SQL string literal', () => {
    expect(() => telemetryTopicRuleSql("dt/x' OR 1=1 --")).toThrow(/single quote/);
  });
});

describe('parseIngestRecord', () => {
  it('reads what the topic rule writes as a telemetry envelope, without the type', () => {
    expect(parseIngestRecord(json(telemetryIngestRecord(envelope)))).toEqual({
      type: 'telemetry',
      envelope,
      reingested: 0,
    });
  });

  it('reads a coffee record exactly as the photo pipeline puts it', () => {
    expect(parseIngestRecord(JSON.stringify(coffee))).toEqual({
      type: 'coffee',
      record: coffee,
      reingested: 0,
    });
  });

  it('reads the reingested count of a record the Firehose transformation put back', () => {
    const again = withReingestedCount(json(telemetryIngestRecord(envelope)), 2);
    expect(parseIngestRecord(again)).toEqual({ type: 'telemetry', envelope, reingested: 2 });
    expect(parseIngestRecord(withReingestedCount(JSON.stringify(coffee), 1))).toMatchObject({
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

  it('reports every schema problem of a telemetry record at once, with a bad reingested count', () => {
    const bad = {
      ...telemetryIngestRecord(envelope),
      reingested: 0,
      bootId: 'not-a-uuid',
      readings: [{ ...envelope.readings[0], seq: 0, humidity: 140 }],
    };
    expect(problemsOf(json(bad))).toEqual(
      expect.arrayContaining([
        '/reingested: must be an integer ≥ 1, got 0',
        expect.stringMatching(/^\/bootId: must match pattern/),
        '/readings/0/seq: must be >= 1',
        '/readings/0/humidity: must be <= 100',
      ]),
    );
    expect(problemsOf(json(bad))).toHaveLength(4);
  });

  it('keeps the envelope closed: an unknown field besides type is refused', () => {
    expect(problemsOf(json({ ...telemetryIngestRecord(envelope), thing: 'coffee-pi-1' }))).toEqual([
      '(root): unknown property "thing"',
    ]);
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
