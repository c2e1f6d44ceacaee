import { StreamUnavailableError } from '@coffee-iot/cloud';
import type { RuleErrorRecord } from '@coffee-iot/cloud/lake';
import { RESERVED_THING_FIELD_REASON } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred } from '../testing/deferred.js';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { decodeRecords, ScriptedIngestStream } from '../testing/scripted-stream.js';
import { ruleOutput, TELEMETRY_RULE_NAME, TelemetryRule } from './telemetry-rule.js';

const FLUSH_MS = 100;
const message = (n: number) => Buffer.from(JSON.stringify({ v: 1, n }));
const numbers = (records: Parameters<typeof decodeRecords>[0]) =>
  decodeRecords<{ n: number }>(records).map((record) => record.n);

describe('ruleOutput', () => {
  it("adds type 'telemetry' and the topic's thing, and keeps every field of the payload", () => {
    const payload = {
      v: 1,
      deviceId: 'coffee-pi-1',
      bootId: 'b',
      readings: [{ seq: 1, ts: '2026-03-05T10:00:00.000Z', temperature: 31.5, extra: { nested: [1, 2] } }],
    };

    const output = ruleOutput(Buffer.from(JSON.stringify(payload)), 'coffee-pi-1');

    expect(typeof output).not.toBe('string');
    expect(JSON.parse(Buffer.from(output as Uint8Array).toString('utf8'))).toEqual({
      ...payload,
      type: 'telemetry',
      thing: 'coffee-pi-1',
    });
  });

  it('takes the thing from the topic whatever the payload says in deviceId', () => {
    const payload = { v: 1, deviceId: 'coffee-pi-2', type: 'coffee', readings: [] };

    const output = ruleOutput(Buffer.from(JSON.stringify(payload)), 'coffee-pi-1');

    expect(JSON.parse(Buffer.from(output as Uint8Array).toString('utf8'))).toEqual({
      ...payload,
      type: 'telemetry',
      thing: 'coffee-pi-1',
    });
  });

  it.each([
    ['another device', 'coffee-pi-2'],
    ['its own topic', 'coffee-pi-1'],
    ['not even a string', 42],
  ])('refuses a payload that sets thing itself, naming %s', (_name, thing) => {
    const payload = { v: 1, deviceId: 'coffee-pi-1', bootId: 'b', readings: [], thing };

    expect(ruleOutput(Buffer.from(JSON.stringify(payload)), 'coffee-pi-1')).toBe(RESERVED_THING_FIELD_REASON);
  });

  it.each([
    ['not JSON', '{"v": 1,'],
    ['a NaN literal', '{"v":NaN}'],
  ])('fails on a payload that is %s, naming why', (_name, text) => {
    expect(ruleOutput(Buffer.from(text), 'coffee-pi-1')).toMatch(/^payload is not JSON \(.+\)$/);
  });

  it('fails on bytes that are not UTF-8', () => {
    expect(ruleOutput(Buffer.from([0xff, 0x7b, 0x7d]), 'coffee-pi-1')).toBe('payload is not UTF-8 (3 bytes)');
  });

  it.each([
    ['[1, 2]', 'an array'],
    ['null', 'null'],
    ['42', 'number'],
    ['"text"', 'string'],
  ])('fails on JSON that is not an object: %s', (text, got) => {
    expect(ruleOutput(Buffer.from(text), 'coffee-pi-1')).toBe(`payload is not a JSON object (got ${got})`);
  });
});

describe('TelemetryRule', () => {
  let stream: ScriptedIngestStream;
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    vi.useFakeTimers();
    stream = new ScriptedIngestStream();
    logs = captureLogs();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  let refused: RuleErrorRecord[];

  function rule(options: { maxQueued?: number } = {}): TelemetryRule {
    refused = [];
    return new TelemetryRule({
      stream,
      streamName: 'coffee-iot-ingest',
      errors: { refuse: (record) => refused.push(record) },
      logger: logs.logger,
      flushMs: FLUSH_MS,
      ...options,
    });
  }

  it('gathers messages for one flush interval into one PutRecords, partition key = thing name', async () => {
    const telemetryRule = rule();
    telemetryRule.start();
    telemetryRule.onMessage('coffee-pi-1', message(1));
    telemetryRule.onMessage('coffee-pi-2', message(2));
    telemetryRule.onMessage('coffee-pi-1', message(3));

    await vi.advanceTimersByTimeAsync(FLUSH_MS - 1);
    expect(stream.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);

    expect(stream.calls).toHaveLength(1);
    const [call] = stream.calls;
    expect(call?.map((record) => record.partitionKey)).toEqual(['coffee-pi-1', 'coffee-pi-2', 'coffee-pi-1']);
    expect(decodeRecords(call ?? [])).toEqual([
      { v: 1, n: 1, type: 'telemetry', thing: 'coffee-pi-1' },
      { v: 1, n: 2, type: 'telemetry', thing: 'coffee-pi-2' },
      { v: 1, n: 3, type: 'telemetry', thing: 'coffee-pi-1' },
    ]);
    expect(telemetryRule.counters).toEqual({
      matched: 3,
      delivered: 3,
      malformed: 0,
      unputtable: 0,
      identityMismatches: 0,
      dropped: 0,
    });
    await telemetryRule.stop();
  });

  it('makes no call while nothing arrived', async () => {
    const telemetryRule = rule();
    telemetryRule.start();
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 5);
    await telemetryRule.stop();

    expect(stream.calls).toEqual([]);
  });

  it('keeps what a failing stream refused and resends it first, in order, on the next tick', async () => {
    stream.failNext(new Error('kinesalite down'));
    const telemetryRule = rule();
    telemetryRule.start();
    telemetryRule.onMessage('coffee-pi-1', message(1));
    telemetryRule.onMessage('coffee-pi-1', message(2));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(telemetryRule.counters.delivered).toBe(0);

    telemetryRule.onMessage('coffee-pi-1', message(3));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);

    expect(stream.calls.map(numbers)).toEqual([
      [1, 2],
      [1, 2, 3],
    ]);
    expect(numbers(stream.accepted)).toEqual([1, 2, 3]);
    expect(telemetryRule.counters).toMatchObject({ delivered: 3, dropped: 0 });
    expect(logs.lines.find((line) => line.level === LEVEL.error)).toMatchObject({
      msg: 'ingest stream refused telemetry; retrying',
      records: 2,
      err: { message: 'kinesalite down' },
    });
    await telemetryRule.stop();
  });

  it('resends only the records the stream names as not accepted', async () => {
    stream.refuseNext([1, 3]);
    const telemetryRule = rule();
    telemetryRule.start();
    for (const n of [1, 2, 3, 4]) telemetryRule.onMessage('coffee-pi-1', message(n));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(telemetryRule.counters.delivered).toBe(2);

    telemetryRule.onMessage('coffee-pi-1', message(5));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);

    expect(stream.calls.map(numbers)).toEqual([
      [1, 2, 3, 4],
      [2, 4, 5],
    ]);
    // Each record in the stream exactly once.
    expect(numbers(stream.accepted).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(telemetryRule.counters).toMatchObject({ matched: 5, delivered: 5 });
    await telemetryRule.stop();
  });

  it('resends the whole batch when a StreamUnavailableError names no records', async () => {
    stream.failNext(new StreamUnavailableError('throttled'));
    const telemetryRule = rule();
    telemetryRule.start();
    for (const n of [1, 2]) telemetryRule.onMessage('coffee-pi-1', message(n));
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 2);

    expect(stream.calls.map(numbers)).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(telemetryRule.counters.delivered).toBe(2);
    await telemetryRule.stop();
  });

  it('sends messages that arrive during a call after that call, not in it', async () => {
    const gate = deferred();
    stream.holdNext(gate);
    const telemetryRule = rule();
    telemetryRule.start();
    telemetryRule.onMessage('coffee-pi-1', message(1));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    telemetryRule.onMessage('coffee-pi-1', message(2));
    // A tick while the call is under way starts no second call.
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(stream.calls).toHaveLength(1);

    gate.resolve();
    await vi.advanceTimersByTimeAsync(FLUSH_MS);

    expect(stream.calls.map(numbers)).toEqual([[1], [2]]);
    await telemetryRule.stop();
  });

  it('drops the oldest and counts it when the queue is full, and logs that it does', async () => {
    const telemetryRule = rule({ maxQueued: 2 });
    for (const n of [1, 2, 3, 4]) telemetryRule.onMessage('coffee-pi-1', message(n));

    expect(telemetryRule.counters.dropped).toBe(2);
    await telemetryRule.stop();

    expect(stream.calls.map(numbers)).toEqual([[3, 4]]);
    expect(telemetryRule.counters).toEqual({
      matched: 4,
      delivered: 2,
      malformed: 0,
      unputtable: 0,
      identityMismatches: 0,
      dropped: 2,
    });
    expect(logs.lines.filter((line) => line.level === LEVEL.error)).toEqual([
      expect.objectContaining({ dropped: 1, maxQueued: 2 }),
    ]);
  });

  it('flushes what it holds on stop()', async () => {
    const telemetryRule = rule();
    telemetryRule.start();
    telemetryRule.onMessage('coffee-pi-1', message(1));

    await telemetryRule.stop();

    expect(stream.calls.map(numbers)).toEqual([[1]]);
    // The interval is gone: no further calls.
    telemetryRule.onMessage('coffee-pi-1', message(2));
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 3);
    expect(stream.calls).toHaveLength(1);
  });

  it('waits on stop() for a call under way, then sends what came after it', async () => {
    const gate = deferred();
    stream.holdNext(gate);
    const telemetryRule = rule();
    telemetryRule.start();
    telemetryRule.onMessage('coffee-pi-1', message(1));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    telemetryRule.onMessage('coffee-pi-1', message(2));

    const stopped = telemetryRule.stop();
    gate.resolve();
    await stopped;

    expect(stream.calls.map(numbers)).toEqual([[1], [2]]);
    expect(telemetryRule.counters.delivered).toBe(2);
  });

  it('counts and logs as dropped what the stream still refuses at stop()', async () => {
    stream.failNext(new Error('down'));
    const telemetryRule = rule();
    telemetryRule.onMessage('coffee-pi-1', message(1));
    telemetryRule.onMessage('coffee-pi-1', message(2));

    await telemetryRule.stop();

    expect(telemetryRule.counters).toMatchObject({ delivered: 0, dropped: 2 });
    expect(logs.lines.at(-1)).toMatchObject({ level: LEVEL.error, records: 2 });
    expect(logs.lines.at(-1)?.msg).toContain('they are lost');
  });

  it('fails a payload that is not a JSON object without sending it, into the error action', async () => {
    const telemetryRule = rule();
    const arrivedAt = new Date('2026-03-05T10:00:00.250Z');
    const arrival = { topic: 'dt/coffee-iot/coffee-pi-1/telemetry', clientId: 'coffee-pi-1', arrivedAt };
    telemetryRule.onMessage('coffee-pi-1', Buffer.from('not json'), arrival);
    telemetryRule.onMessage('coffee-pi-1', Buffer.from([0xff, 0x00]), arrival);
    telemetryRule.onMessage('coffee-pi-1', message(1));

    await telemetryRule.stop();

    expect(stream.calls.map(numbers)).toEqual([[1]]);
    expect(telemetryRule.counters).toEqual({
      matched: 3,
      delivered: 1,
      malformed: 2,
      unputtable: 0,
      identityMismatches: 0,
      dropped: 0,
    });
    expect(logs.lines.filter((line) => line.level === LEVEL.warn).map((line) => line.thingName)).toEqual([
      'coffee-pi-1',
      'coffee-pi-1',
    ]);
    expect(refused).toEqual([
      {
        ruleName: TELEMETRY_RULE_NAME,
        topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
        clientId: 'coffee-pi-1',
        base64OriginalPayload: Buffer.from('not json').toString('base64'),
        originalPayload: 'not json',
        failures: [
          {
            failedAction: 'KinesisAction',
            failedResource: 'coffee-iot-ingest',
            errorMessage: expect.stringMatching(/^payload is not JSON/),
          },
        ],
        arrivedAt: '2026-03-05T10:00:00.250Z',
        reason: expect.stringMatching(/^payload is not JSON/),
      },
      expect.objectContaining({ base64OriginalPayload: '/wA=', reason: 'payload is not UTF-8 (2 bytes)' }),
    ]);
    expect(refused[1]).not.toHaveProperty('originalPayload');
  });

  it('refuses a message that sets thing itself as an identity mismatch, never sending it', async () => {
    const telemetryRule = rule();
    const arrival = {
      topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
      clientId: 'coffee-pi-1',
      arrivedAt: new Date('2026-03-05T10:00:00.250Z'),
    };
    const forged = Buffer.from(JSON.stringify({ v: 1, deviceId: 'coffee-pi-2', thing: 'coffee-pi-2', n: 9 }));
    telemetryRule.onMessage('coffee-pi-1', forged, arrival);
    telemetryRule.onMessage('coffee-pi-1', message(1));

    await telemetryRule.stop();

    expect(stream.calls.map(numbers)).toEqual([[1]]);
    expect(telemetryRule.counters).toMatchObject({
      matched: 2,
      delivered: 1,
      malformed: 0,
      identityMismatches: 1,
    });
    expect(refused).toEqual([
      expect.objectContaining({
        topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
        base64OriginalPayload: forged.toString('base64'),
        reason: RESERVED_THING_FIELD_REASON,
      }),
    ]);
  });

  it('fails a message the stream can never take instead of blocking the records behind it', async () => {
    const telemetryRule = rule();
    telemetryRule.start();
    const huge = Buffer.from(JSON.stringify({ v: 1, n: 0, pad: 'x'.repeat(1024 * 1024) }));
    telemetryRule.onMessage('coffee-pi-1', huge);
    telemetryRule.onMessage('coffee-pi-1', message(1));
    await vi.advanceTimersByTimeAsync(FLUSH_MS * 3);

    expect(numbers(stream.accepted)).toEqual([1]);
    expect(telemetryRule.counters).toMatchObject({ unputtable: 1, delivered: 1 });
    expect(refused).toEqual([
      expect.objectContaining({
        topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
        clientId: 'coffee-pi-1',
        base64OriginalPayload: huge.toString('base64'),
        reason: expect.stringMatching(/^the ingest stream can never take this message: .*record limit/),
      }),
    ]);
    await telemetryRule.stop();
  });
});
