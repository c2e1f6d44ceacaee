import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { type CoffeeRecord, type TelemetryReading, UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../config/env.js';
import { StreamUnavailableError } from '../stream/ingest-stream.js';
import { FIREHOSE_ARRIVAL_MS, FIREHOSE_STREAM_ARN, firehoseEvent } from '../testing/firehose-events.js';
import { fullReading, telemetryIngestJson } from '../testing/ingest-records.js';
import { createMemoryErrorSink, type MemoryErrorSink } from '../testing/memory-error-sink.js';
import { COFFEE_COLUMNS, TELEMETRY_COLUMNS } from './columns.js';
import { firehoseInputsOf } from './firehose/event-inputs.js';
import {
  type FirehoseTransformConfig,
  readFirehoseTransformConfig,
} from './firehose/firehose-transform-config.js';
import { handleFirehoseEvent } from './firehose/handle-firehose-event.js';
import { planFirehoseResponse } from './firehose/plan-response.js';
import type { PutRecordBatchResponse } from './firehose/put-record-batch.js';
import { ReingestFailedError } from './firehose/reingest.js';
import { reingesterForEvent } from './firehose/reingester-for-event.js';

const LIMIT = 6_291_456;
const STREAM_ARN = FIREHOSE_STREAM_ARN;
const BOOT = '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11';
const ARRIVAL_MS = FIREHOSE_ARRIVAL_MS;
const $metadata = { httpStatusCode: 200, requestId: 'c0ffee00-0000-4000-8000-000000000000' };
const decoder = new TextDecoder();

/** A reading with every sensor field, as a Pi sends it: the largest real shape. */
const reading = (seq: number) => fullReading(seq, Date.UTC(2026, 10, 25, 10));

const telemetry = (deviceId: string, seqs: readonly number[], extra: object = {}) =>
  telemetryIngestJson(deviceId, BOOT, seqs.map(reading), extra);

function coffee(n: number): CoffeeRecord {
  const eventId = `5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c${String(n).padStart(2, '0')}`;
  return {
    ...UNKNOWN_FACE_ATTRIBUTES,
    v: 1,
    type: 'coffee',
    deviceId: 'coffee-pi-1',
    eventId,
    photoKey: `photos/coffee-pi-1/2026/11/26/${eventId}.jpg`,
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

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** PutRecords' documented answer: Records in request order, SequenceNumber + ShardId or ErrorCode + ErrorMessage. */
function putRecordsAnswer(
  entries: readonly PutRecordsRequestEntry[] = [],
  failed: readonly number[] = [],
): PutRecordsCommandOutput {
  return {
    $metadata,
    FailedRecordCount: failed.length,
    EncryptionType: 'KMS',
    Records: entries.map((_, i) =>
      failed.includes(i)
        ? {
            ErrorCode: 'ProvisionedThroughputExceededException',
            ErrorMessage: `Rate exceeded for shard shardId-000000000001 in stream coffee-iot-ingest under account 111122223333.`,
          }
        : {
            SequenceNumber: `49546986683135544286507457936321625675700192471156785${i}`,
            ShardId: 'shardId-000000000001',
          },
    ),
  };
}

const decode = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');
const linesOf = (data: string | undefined) =>
  decode(data)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function expectEveryRecordAnsweredOnce(
  event: FirehoseTransformationEvent,
  result: FirehoseTransformationResult,
) {
  expect(result.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
  for (const record of result.records) {
    expect(['Ok', 'Dropped', 'ProcessingFailed']).toContain(record.result);
    expect(record.data).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
  }
}

describe('Firehose transformation', () => {
  let client: KinesisClient;
  let kinesis: ReturnType<typeof mockClient>;
  let delays: number[];
  let logs: Record<string, unknown>[];
  let errorSink: MemoryErrorSink;
  let metrics: Record<string, unknown>[];

  beforeEach(() => {
    client = new KinesisClient({ region: 'eu-west-1' });
    kinesis = mockClient(client);
    kinesis
      .on(PutRecordsCommand)
      .callsFake((input: { Records: PutRecordsRequestEntry[] }) => putRecordsAnswer(input.Records));
    delays = [];
    logs = [];
    errorSink = createMemoryErrorSink();
    metrics = [];
  });
  afterEach(() => {
    kinesis.restore();
    client.destroy();
  });

  function deps(config: Partial<FirehoseTransformConfig> = {}, extra: { maxResponseBytes?: number } = {}) {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    return {
      config: {
        table: 'telemetry' as const,
        maxReingests: 3,
        partitionKeys: true,
        lakeBucket: 'coffee-iot-lake',
        ...config,
      },
      reingesterFor: reingesterForEvent({
        kinesis: client,
        retry: {
          retry: { baseDelayMs: 100, maxDelayMs: 1_000 },
          timing: { sleep: async (ms: number) => void delays.push(ms), random: () => 0.5 },
        },
      }),
      errorSink,
      logger,
      writeMetrics: (line: string) => void metrics.push(JSON.parse(line)),
      now: () => new Date(ARRIVAL_MS + 120_000),
      ...extra,
    };
  }

  /** What each PutRecords call carried: [partition key, parsed record] pairs. */
  function putCalls(): [string, Record<string, unknown>][][] {
    return kinesis
      .commandCalls(PutRecordsCommand)
      .map((call) =>
        (call.args[0].input.Records ?? []).map((r): [string, Record<string, unknown>] => [
          r.PartitionKey ?? '',
          JSON.parse(decoder.decode(r.Data)),
        ]),
      );
  }

  it('keeps an over-6 MB batch under 6 MB, re-ingests the overflow on the stream and loses no reading', async () => {
    // 3.6 MB of catch-up envelopes, 100 readings each with every sensor (Firehose's Lambda
    // buffer hint is at most 3 MB, a hint, not a cap): their rows, base64, need over 6.5 MB.
    // (At exactly 3 MB they need 5.5 MB: overflow is the exception this guards against.)
    const devices = ['coffee-pi-1', 'coffee-pi-2', 'coffee-pi-3', 'coffee-pi-4'];
    const payloads = range(0, 112).map((i) =>
      telemetry(devices[i % 4] as string, range(1 + 100 * Math.floor(i / 4), 100)),
    );
    const event = firehoseEvent(
      payloads,
      payloads.map((_, i) => devices[i % 4] as string),
    );
    const inputBytes = payloads.reduce((sum, p) => sum + p.length, 0);
    expect(inputBytes).toBeGreaterThan(3_500_000);
    const unbounded = planFirehoseResponse(firehoseInputsOf(event), {
      table: 'telemetry',
      maxReingests: 3,
      partitionKeys: true,
      canReingest: () => true,
      maxResponseBytes: Number.POSITIVE_INFINITY,
    });
    expect(unbounded.responseBytes).toBeGreaterThan(LIMIT);
    expect(Buffer.byteLength(JSON.stringify(unbounded.response))).toBe(unbounded.responseBytes);

    // The first PutRecords call refuses two entries; only those are sent again.
    kinesis
      .on(PutRecordsCommand)
      .callsFakeOnce((input: { Records: PutRecordsRequestEntry[] }) =>
        putRecordsAnswer(input.Records, [1, 3]),
      )
      .callsFake((input: { Records: PutRecordsRequestEntry[] }) => putRecordsAnswer(input.Records));

    const result = await handleFirehoseEvent(event, deps());

    const responseBytes = Buffer.byteLength(JSON.stringify(result));
    expect(responseBytes).toBeLessThanOrEqual(LIMIT);
    expect(responseBytes).toBeGreaterThan(LIMIT - 30_000); // filled, not merely halved
    expectEveryRecordAnsweredOnce(event, result);
    const ok = result.records.filter((r) => r.result === 'Ok');
    const dropped = result.records.filter((r) => r.result === 'Dropped');
    expect(ok.length + dropped.length).toBe(payloads.length);
    expect(dropped.length).toBeGreaterThan(0);
    for (const record of dropped) expect(record.data).toBe('');

    const calls = putCalls();
    expect(calls).toHaveLength(2);
    const [first, resend] = calls as [
      [string, Record<string, unknown>][],
      [string, Record<string, unknown>][],
    ];
    // The Dropped records, in order, as they arrived plus `reingested: 1`, keyed by device.
    const droppedIndexes = dropped.map((r) => event.records.findIndex((e) => e.recordId === r.recordId));
    expect(first).toEqual(
      droppedIndexes.map((i) => [devices[i % 4], { ...JSON.parse(payloads[i] as string), reingested: 1 }]),
    );
    expect(resend).toEqual([first[1], first[3]]);
    expect(delays).toEqual([75]);

    // Every reading is either a row of an Ok answer or in a re-ingested record.
    const okRows = ok.flatMap((r) => linesOf(r.data));
    const reingestedReadings = first.flatMap(([, record]) => record.readings as TelemetryReading[]);
    expect(okRows.length + reingestedReadings.length).toBe(payloads.length * 100);
    const keys = new Set([
      ...okRows.map((row) => `${row.device_id} ${row.seq}`),
      ...first.flatMap(([device, record]) =>
        (record.readings as TelemetryReading[]).map((r) => `${device} ${r.seq}`),
      ),
    ]);
    expect(keys.size).toBe(payloads.length * 100);

    const summary = logs.find((line) => line.msg === 'firehose batch transformed');
    expect(summary).toMatchObject({
      invocationId: event.invocationId,
      records: 112,
      ok: ok.length,
      rows: okRows.length,
      reingested: dropped.length,
      givenUp: 0,
      responseBytes,
      reingestTarget: `kinesis:${STREAM_ARN}`,
    });
  });

  it('answers newline-delimited flat rows with the table columns and the ingest hour as partition keys', async () => {
    const event = firehoseEvent([telemetry('coffee-pi-1', [1, 2]), telemetry('coffee-pi-1', [3])]);
    const result = await handleFirehoseEvent(event, deps());
    const [first] = result.records;
    expect(first?.result).toBe('Ok');
    expect(decode(first?.data).endsWith('}\n')).toBe(true);
    const rows = linesOf(first?.data);
    expect(rows.map((row) => row.seq)).toEqual([1, 2]);
    for (const row of rows) expect(Object.keys(row)).toEqual(TELEMETRY_COLUMNS.map((c) => c.name));
    expect(rows[0]).toMatchObject({
      device_id: 'coffee-pi-1',
      ts: '2026-11-25 10:00:01.000',
      ingest_time: '2026-11-26 10:00:30.123',
    });
    expect(first?.metadata).toEqual({
      partitionKeys: { ingest_year: '2026', ingest_month: '11', ingest_day: '26', ingest_hour: '10' },
    });

    const plain = await handleFirehoseEvent(event, deps({ partitionKeys: false }));
    expect(plain.records[0]).toEqual({ recordId: first?.recordId, result: 'Ok', data: first?.data });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it("answers Dropped for the other table's records and ProcessingFailed, with the record, for bad ones", async () => {
    const payloads = [
      telemetry('coffee-pi-1', [1]),
      JSON.stringify(coffee(1)),
      '{"type":"telemetry","v":1,', // not JSON: the telemetry stream reports it
      JSON.stringify({ ...coffee(2), smileConfidence: 140 }), // a bad coffee: the coffees stream reports it
      telemetry('coffee-pi-1', [2], { bootId: 'not-a-uuid' }),
    ];
    const event = firehoseEvent(payloads);

    const asTelemetry = await handleFirehoseEvent(event, deps({ table: 'telemetry' }));
    expectEveryRecordAnsweredOnce(event, asTelemetry);
    expect(asTelemetry.records.map((r) => r.result)).toEqual([
      'Ok',
      'Dropped',
      'ProcessingFailed',
      'Dropped',
      'ProcessingFailed',
    ]);
    expect(asTelemetry.records[2]?.data).toBe(event.records[2]?.data);
    expect(asTelemetry.records[4]?.data).toBe(event.records[4]?.data);
    expect(asTelemetry.records[1]?.data).toBe('');
    const refusedLogs = logs.filter((line) => line.msg === 'record refused: ProcessingFailed');
    expect(refusedLogs.map((line) => [line.recordId, line.reason])).toEqual([
      [event.records[2]?.recordId, expect.stringMatching(/^payload is not JSON/)],
      [event.records[4]?.recordId, expect.stringMatching(/^\/bootId: must match pattern/)],
    ]);
    expect(refusedLogs[0]).toMatchObject({
      sequenceNumber: event.records[2]?.kinesisRecordMetadata?.sequenceNumber,
      level: 40,
    });

    logs.length = 0;
    const asCoffees = await handleFirehoseEvent(event, deps({ table: 'coffees' }));
    expectEveryRecordAnsweredOnce(event, asCoffees);
    expect(asCoffees.records.map((r) => r.result)).toEqual([
      'Dropped',
      'Ok',
      'Dropped',
      'ProcessingFailed',
      'Dropped',
    ]);
    const [coffeeRow] = linesOf(asCoffees.records[1]?.data);
    expect(Object.keys(coffeeRow ?? {})).toEqual(COFFEE_COLUMNS.map((c) => c.name));
    expect(coffeeRow).toMatchObject({
      photo_key: coffee(1).photoKey,
      smile_confidence: 97.5,
      captured_at: '2026-11-26 10:00:01.250',
    });
    expect(logs.find((line) => line.msg === 'firehose batch transformed')).toMatchObject({
      table: 'coffees',
      ok: 1,
      otherTable: 3,
      refused: 1,
    });
  });

  it('answers Dropped, counted, for a record whose readings were all seen earlier in the batch', async () => {
    const event = firehoseEvent([
      telemetry('coffee-pi-1', [1, 2]),
      telemetry('coffee-pi-1', [2, 1]),
      telemetry('coffee-pi-1', [2, 3]),
    ]);
    const result = await handleFirehoseEvent(event, deps());
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'Ok']);
    expect(linesOf(result.records[2]?.data).map((row) => row.seq)).toEqual([3]);
    expect(logs.find((line) => line.msg === 'firehose batch transformed')).toMatchObject({
      duplicates: 3,
      allDuplicate: 1,
      rows: 3,
    });
  });

  /** The byte size of a response with these answers, measured by serializing it. */
  function sizeOf(records: FirehoseTransformationResultRecord[]): number {
    return Buffer.byteLength(JSON.stringify({ records }));
  }

  it('lets records re-ingested before go first, and re-ingests the fresh one with its count raised', async () => {
    const payloads = [
      telemetry('coffee-pi-1', [1, 2, 3]),
      telemetry('coffee-pi-1', [4, 5, 6], { reingested: 2 }),
    ];
    const event = firehoseEvent(payloads);
    const full = await handleFirehoseEvent(event, deps());
    const [fresh, again] = full.records as [
      FirehoseTransformationResultRecord,
      FirehoseTransformationResultRecord,
    ];
    // Room for one Ok: the second record's, with the first answered Dropped.
    const limit = sizeOf([{ recordId: fresh.recordId, result: 'Dropped', data: '' }, again]) + 20;
    kinesis.resetHistory();

    const result = await handleFirehoseEvent(event, deps({}, { maxResponseBytes: limit }));
    expect(result.records).toEqual([{ recordId: fresh.recordId, result: 'Dropped', data: '' }, again]);
    expect(sizeOf(result.records)).toBeLessThanOrEqual(limit);
    expect(putCalls()).toEqual([[['coffee-pi-1', { ...JSON.parse(payloads[0] as string), reingested: 1 }]]]);
  });

  it('gives up a record at the re-ingest cap as ProcessingFailed with its data, and says so', async () => {
    const payloads = [telemetry('coffee-pi-1', range(1, 50), { reingested: 3 })];
    const event = firehoseEvent(payloads);
    const recordId = event.records[0]?.recordId ?? '';
    const failedWithData = {
      recordId,
      result: 'ProcessingFailed' as const,
      data: event.records[0]?.data ?? '',
    };
    // Room for the record itself, not for its rows (about twice as big).
    const result = await handleFirehoseEvent(
      event,
      deps({ maxReingests: 3 }, { maxResponseBytes: sizeOf([failedWithData]) }),
    );
    expect(result.records).toEqual([failedWithData]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(logs.find((line) => line.msg === 'overflow record given up: ProcessingFailed')).toMatchObject({
      level: 50,
      recordId,
      reason: 'its answer did not fit in the response after 3 re-ingest(s), the most allowed',
    });
    expect(logs.find((line) => line.msg === 'firehose batch transformed')).toMatchObject({
      givenUp: 1,
      reingested: 0,
    });

    // With no room even for the record, it is still answered, ProcessingFailed without data.
    const tight = await handleFirehoseEvent(
      event,
      deps({}, { maxResponseBytes: sizeOf([{ ...failedWithData, data: '' }]) }),
    );
    expect(tight.records).toEqual([{ recordId, result: 'ProcessingFailed', data: '' }]);
  });

  it('fails the invocation, so Firehose retries it, when the overflow cannot be put back', async () => {
    kinesis.on(PutRecordsCommand).rejects(
      new ResourceNotFoundException({
        message: `Stream coffee-iot-ingest under account 111122223333 not found.`,
        $metadata,
      }),
    );
    const event = firehoseEvent([telemetry('coffee-pi-1', [1]), telemetry('coffee-pi-1', [2])]);
    const error = await handleFirehoseEvent(event, deps({}, { maxResponseBytes: 600 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReingestFailedError);
    if (!(error instanceof ReingestFailedError)) return;
    expect(error.target).toBe(`kinesis:${STREAM_ARN}`);
    expect(error.notAccepted).toEqual(event.records.map((r) => r.recordId));
    expect(error.cause).toBeInstanceOf(StreamUnavailableError);
    expect(logs.find((line) => line.level === 50)?.msg).toMatch(/re-ingest failed/);
    expect(logs.find((line) => line.msg === 'firehose batch transformed')).toBeUndefined();
  });

  it('reads a DirectPut event from the telemetry rule: newline-terminated records, identity from thing alone', async () => {
    // The Direct PUT path's topic rule appends "\n" to each record (raw/ is then one record per
    // line) and no partition key exists: the rule's `thing` is the only identity to check.
    const payloads = [
      `${telemetry('coffee-pi-1', [1, 2])}\n`,
      `${telemetry('coffee-pi-2', [7], { thing: 'coffee-pi-1' })}\n`,
    ];
    const result = await handleFirehoseEvent(firehoseEvent(payloads, [], 'direct-put'), deps());

    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed']);
    const rows = decoder
      .decode(Buffer.from(result.records[0]?.data ?? '', 'base64'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { device_id: string; seq: number });
    expect(rows.map((row) => [row.device_id, row.seq])).toEqual([
      ['coffee-pi-1', 1],
      ['coffee-pi-1', 2],
    ]);
    const refused = logs.filter((line) => line.msg === 'record refused: ProcessingFailed');
    expect(refused.map((line) => line.reason)).toEqual([
      expect.stringMatching(/^deviceId does not match topic: the payload says "coffee-pi-2"/),
    ]);
  });

  it('re-ingests into a DirectPut delivery stream with PutRecordBatch, and fails clearly without a client', async () => {
    const payloads = [telemetry('coffee-pi-1', [1]), telemetry('coffee-pi-1', [2])];
    const event = firehoseEvent(payloads, [], 'direct-put');
    const sent: { stream: string; records: unknown[] }[] = [];
    const reingesterFor = reingesterForEvent({
      kinesis: client,
      firehose:
        (stream) =>
        async (records): Promise<PutRecordBatchResponse> => {
          sent.push({ stream, records: records.map((r) => JSON.parse(decoder.decode(r))) });
          return {
            FailedPutCount: 0,
            Encrypted: false,
            RequestResponses: records.map((_, i) => ({ RecordId: `f0${i}` })),
          };
        },
    });
    const result = await handleFirehoseEvent(event, {
      ...deps({}, { maxResponseBytes: 600 }),
      reingesterFor,
    });
    expect(result.records.map((r) => r.result)).toEqual(['Dropped', 'Dropped']);
    expect(sent).toEqual([
      { stream: 'coffee-iot-telemetry', records: payloads.map((p) => ({ ...JSON.parse(p), reingested: 1 })) },
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);

    await expect(handleFirehoseEvent(event, deps({}, { maxResponseBytes: 600 }))).rejects.toThrow(
      /cannot re-ingest 2 overflow record\(s\): no Firehose client/,
    );
  });
});

describe('readFirehoseTransformConfig', () => {
  it('reads the table, the re-ingest cap and the partition keys switch', () => {
    expect(readFirehoseTransformConfig({ LAKE_TABLE: 'coffees', LAKE_BUCKET: 'lake' })).toEqual({
      table: 'coffees',
      maxReingests: 3,
      partitionKeys: true,
      lakeBucket: 'lake',
    });
    expect(
      readFirehoseTransformConfig({
        LAKE_TABLE: 'telemetry',
        MAX_REINGESTS: '0',
        PARTITION_KEYS: 'false',
        LAKE_BUCKET: 'lake',
      }),
    ).toEqual({
      table: 'telemetry',
      maxReingests: 0,
      partitionKeys: false,
      lakeBucket: 'lake',
    });
  });

  it('names every problem at once, and never guesses the table', () => {
    expect(() => readFirehoseTransformConfig({})).toThrow(
      new EnvironmentError(['LAKE_TABLE is required', 'LAKE_BUCKET is required']),
    );
    try {
      readFirehoseTransformConfig({ LAKE_TABLE: 'devices', MAX_REINGESTS: '2.5', PARTITION_KEYS: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect((error as EnvironmentError).problems).toEqual([
        'LAKE_TABLE must be one of telemetry, coffees, got "devices"',
        'MAX_REINGESTS must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, got "2.5"',
        'PARTITION_KEYS must be true or false, got "maybe"',
        'LAKE_BUCKET is required',
      ]);
    }
  });
});
