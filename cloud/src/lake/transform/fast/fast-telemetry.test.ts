import { describe, expect, it } from 'vitest';
import { fullReading, telemetryIngestJson } from '../../../testing/ingest-records.js';
import type { TelemetryRow } from '../../rows.js';
import type { IngestInput } from '../../transform-types.js';
import { ingestColumnsOf } from '../ingest-columns.js';
import {
  type RecordCheckOptions,
  type RecordOutcome,
  transformParsedRecord,
  transformRecord,
} from '../record.js';
import { SeenReadings } from '../seen-readings.js';
import { TelemetryLines } from '../telemetry-lines.js';
import { fastTelemetryRecord } from './fast-telemetry.js';
import { randomSource } from './random-source.js';
import { ARRIVAL_MS, mutatedText, validRecordText } from './telemetry-texts.js';

// The fast path must never be seen: whatever it takes, it must give exactly what the slow path
// (JSON.parse + Ajv + rows from the parsed record) gives, outcome, rows, bytes and dedupe alike;
// whatever it does not take, the slow path has. Held here over valid records in every form and
// over the same records broken in the ways a hand-written scanner gets wrong.

type Sink = 'lines' | 'rows';

interface Result {
  outcome: RecordOutcome;
  lines: string;
  rows: TelemetryRow[];
  seen: string[];
}

/** A seen-set that already holds some of the device's seqs (dedupe across records). */
function seenWith(deviceId: string, seqs: readonly number[]): SeenReadings {
  const seen = new SeenReadings();
  for (const seq of seqs) seen.add(deviceId, seq);
  return seen;
}

function run(
  way: 'either' | 'slow',
  sinkKind: Sink,
  input: IngestInput,
  seenBefore: readonly number[],
  deviceId: string,
  options: RecordCheckOptions,
): Result {
  const seen = { readings: seenWith(deviceId, seenBefore), coffees: new Set<string>() };
  const lines = new TelemetryLines();
  const rows: TelemetryRow[] = [];
  const sink = { telemetry: sinkKind === 'lines' ? lines : rows, coffees: [] };
  const outcome =
    way === 'either'
      ? transformRecord(input, seen, sink, options)
      : transformParsedRecord(input, ingestColumnsOf(input.arrivedAt), seen, sink, options);
  return { outcome, lines: lines.text, rows, seen: [...seen.readings.keys()] };
}

/** Equal outcome, lines, rows (Object.is on every value, keys in order) and seen keys. */
function sameResult(a: Result, b: Result): boolean {
  const rowText = (rows: TelemetryRow[]) =>
    JSON.stringify(
      rows.map((row) =>
        Object.entries(row).map(([key, value]) => [key, Object.is(value, -0) ? '-0' : value]),
      ),
    );
  return (
    JSON.stringify(a.outcome) === JSON.stringify(b.outcome) &&
    a.lines === b.lines &&
    rowText(a.rows) === rowText(b.rows) &&
    a.seen.join() === b.seen.join()
  );
}

/** Checks both sinks; returns whether the fast path took the record. */
function expectSameBothWays(
  data: Uint8Array,
  deviceId: string,
  partitionKey: string | undefined,
  seenBefore: readonly number[] = [],
  options: RecordCheckOptions = {},
): boolean {
  const input: IngestInput = { id: 'rec-1', data, arrivedAt: new Date(ARRIVAL_MS), partitionKey };
  for (const sinkKind of ['lines', 'rows'] as const) {
    const either = run('either', sinkKind, input, seenBefore, deviceId, options);
    const slow = run('slow', sinkKind, input, seenBefore, deviceId, options);
    // expect() only on a difference: thousands of records must stay quick to check.
    if (sameResult(either, slow)) continue;
    const label = `${new TextDecoder().decode(data)} (partition key ${partitionKey}, ${sinkKind})`;
    expect(either.outcome, label).toStrictEqual(slow.outcome);
    expect(either.lines, label).toBe(slow.lines);
    // Strict: -0 is not 0, and every row has the same keys in the same order.
    expect(either.rows, label).toStrictEqual(slow.rows);
    expect(
      either.rows.map((row) => Object.keys(row).join()),
      label,
    ).toEqual(slow.rows.map((row) => Object.keys(row).join()));
    expect(either.seen, label).toEqual(slow.seen);
  }
  const probe = { telemetry: new TelemetryLines(), coffees: [] };
  const taken = fastTelemetryRecord(
    { id: 'probe', data, arrivedAt: new Date(ARRIVAL_MS), partitionKey },
    ingestColumnsOf(new Date(ARRIVAL_MS)),
    new SeenReadings(),
    probe,
    options,
  );
  return taken !== undefined;
}

const encode = (text: string) => new TextEncoder().encode(text);

describe('the telemetry fast path', () => {
  it('takes the live record as the topic rule writes it', () => {
    const text = telemetryIngestJson('coffee-pi-1', '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11', [
      fullReading(7, Date.UTC(2026, 10, 26, 8)),
    ]);
    expect(expectSameBothWays(encode(text), 'coffee-pi-1', 'coffee-pi-1')).toBe(true);
    expect(expectSameBothWays(encode(text), 'coffee-pi-1', undefined)).toBe(true);
    // Already seen: a duplicate, the same way.
    expect(expectSameBothWays(encode(text), 'coffee-pi-1', 'coffee-pi-1', [7])).toBe(true);
  });

  it('gives what the slow path gives for 1,500 random valid records, and takes at least 40 % of them', () => {
    const random = randomSource(2026);
    let taken = 0;
    for (let i = 0; i < 1_500; i += 1) {
      const record = validRecordText(random);
      const seenBefore = random.chance(0.2) ? [1, 2, 3] : [];
      if (expectSameBothWays(encode(record.text), record.deviceId, record.partitionKey, seenBefore))
        taken += 1;
    }
    // Not all: 17-digit values, exponents, -0, a ts one millisecond too late, a foreign partition key.
    expect(taken).toBeGreaterThan(600);
  });

  it('gives what the slow path gives for 4,000 valid records broken one subtle way each', () => {
    const random = randomSource(16);
    let taken = 0;
    for (let i = 0; i < 4_000; i += 1) {
      const record = validRecordText(random);
      let data = encode(mutatedText(random, record.text));
      if (random.chance(0.03)) {
        // Bytes that are not UTF-8, or a multi-byte character where ASCII was.
        const p = random.int(0, data.length);
        const bad = random.pick([[0xff], [0xc3], [0xc3, 0xa9], [0xe2, 0x82], [0xed, 0xa0, 0x80]]);
        data = new Uint8Array([...data.subarray(0, p), ...bad, ...data.subarray(p)]);
      }
      if (expectSameBothWays(data, record.deviceId, record.partitionKey)) taken += 1;
    }
    // Some mutations leave a valid record (a space, a value still in range): the fast path's.
    expect(taken).toBeGreaterThan(0);
  });

  it('holds with another skew, and leaves a record to the slow path when the bound has no ISO text', () => {
    const random = randomSource(7);
    for (let i = 0; i < 300; i += 1) {
      const record = validRecordText(random);
      const options = { maxFutureSkewMs: random.pick([0, 1, 3_600_000, -86_400_000]) };
      expectSameBothWays(encode(record.text), record.deviceId, record.partitionKey, [], options);
    }
    const record = validRecordText(random);
    for (const maxFutureSkewMs of [Number.NaN, 9e15, Number.POSITIVE_INFINITY]) {
      expect(
        expectSameBothWays(encode(record.text), record.deviceId, record.partitionKey, [], {
          maxFutureSkewMs,
        }),
      ).toBe(false);
    }
  });

  it('leaves unvouched records (no thing, no partition key) to the slow path, which may accept them', () => {
    const text = JSON.stringify({
      v: 1,
      deviceId: 'coffee-pi-1',
      bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
      readings: [fullReading(3, Date.UTC(2026, 10, 26, 8))],
      type: 'telemetry',
    });
    expect(expectSameBothWays(encode(text), 'coffee-pi-1', undefined, [], { acceptUnvouched: true })).toBe(
      false,
    );
    expect(expectSameBothWays(encode(text), 'coffee-pi-1', undefined)).toBe(false);
  });
});
