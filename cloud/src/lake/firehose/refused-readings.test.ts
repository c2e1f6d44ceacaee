import { IDENTITY_MISMATCH_REASON, type TelemetryReading } from '@coffee-iot/shared';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIREHOSE_ARRIVAL_MS, firehoseEvent } from '../../testing/firehose-events.js';
import { fullReading, telemetryIngestJson } from '../../testing/ingest-records.js';
import { createMemoryErrorSink, type MemoryErrorSink } from '../../testing/memory-error-sink.js';
import type { FirehoseTransformConfig } from './firehose-transform-config.js';
import { type FirehoseTransformDeps, handleFirehoseEvent } from './handle-firehose-event.js';
import { PIPELINE_METRICS, PIPELINE_METRICS_NAMESPACE } from './pipeline-metrics.js';
import type { ReadingErrorLine } from './reading-errors.js';
import type { ReingestRecord } from './reingest.js';

const BOOT = '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11';
const FIRST_TS = Date.UTC(2026, 10, 25, 10);
const reading = (seq: number, phase = 0) => fullReading(seq, FIRST_TS, phase);
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const decode = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');
const rowsOf = (data: string | undefined) =>
  decode(data)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** 400 readings of coffee-pi-1 (a catch-up envelope); readings 7, 150 and 399 are bad. */
function mixedEnvelope(): { readings: TelemetryReading[]; bad: Map<number, RegExp> } {
  const readings = range(1, 400).map((seq) => reading(seq));
  readings[7] = { ...(readings[7] as TelemetryReading), humidity: 140 };
  readings[150] = { ...(readings[150] as TelemetryReading), pressure: 0 };
  readings[399] = { ...(readings[399] as TelemetryReading), ts: '2027-01-01T00:00:00.000Z' };
  const bad = new Map([
    [8, /^\/readings\/7\/humidity: must be <= 100/],
    [151, /^\/readings\/150\/pressure: must be >= 260/],
    [400, /^\/readings\/399\/ts: 2027-01-01T00:00:00.000Z is more than 300 s after the message arrived/],
  ]);
  return { readings, bad };
}

describe('Firehose transformation: forged device ids and refused readings', () => {
  let logs: Record<string, unknown>[];
  let metrics: Record<string, unknown>[];
  let errorSink: MemoryErrorSink;
  let reingested: ReingestRecord[];

  beforeEach(() => {
    logs = [];
    metrics = [];
    errorSink = createMemoryErrorSink();
    reingested = [];
  });

  function deps(
    config: Partial<FirehoseTransformConfig> = {},
    maxResponseBytes?: number,
  ): FirehoseTransformDeps {
    return {
      config: { table: 'telemetry', maxReingests: 3, partitionKeys: true, lakeBucket: 'lake', ...config },
      reingesterFor: () => ({
        target: 'memory',
        canTake: () => true,
        reingest: async (records) => void reingested.push(...records),
      }),
      errorSink,
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
      writeMetrics: (line) => void metrics.push(JSON.parse(line)),
      now: () => new Date(FIREHOSE_ARRIVAL_MS + 120_000),
      ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
    };
  }

  const summary = () => logs.find((line) => line.msg === 'firehose batch transformed');
  const errorLines = (): ReadingErrorLine[] =>
    [...errorSink.files.values()].flatMap((body) =>
      body
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as ReadingErrorLine),
    );

  it("refuses a payload naming another device than its topic or partition key, and keeps that device's real reading", async () => {
    const forged = reading(42, 1); // other values than the real reading 42
    const real = reading(42);
    const payloads = [
      // Published by coffee-pi-1 on its own topic, claiming coffee-pi-2.
      telemetryIngestJson('coffee-pi-2', BOOT, [forged], { thing: 'coffee-pi-1' }),
      // The topic's thing agrees with the payload, the partition key (coffee-pi-1) does not.
      telemetryIngestJson('coffee-pi-2', BOOT, [forged]),
      // coffee-pi-2's own reading 42.
      telemetryIngestJson('coffee-pi-2', BOOT, [real]),
    ];
    const event = firehoseEvent(payloads, ['coffee-pi-1', 'coffee-pi-1', 'coffee-pi-2']);

    const result = await handleFirehoseEvent(event, deps());

    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'ProcessingFailed', 'Ok']);
    // The refused records as they arrived, for processing-failed/; no rows of theirs anywhere.
    expect(result.records[0]?.data).toBe(event.records[0]?.data);
    expect(result.records[1]?.data).toBe(event.records[1]?.data);
    const rows = result.records.flatMap((r) => (r.result === 'Ok' ? rowsOf(r.data) : []));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ device_id: 'coffee-pi-2', seq: 42, temperature: real.temperature });
    expect(real.temperature).not.toBe(forged.temperature);

    const refused = logs.filter((line) => line.msg === 'record refused: ProcessingFailed');
    expect(refused.map((line) => line.reason)).toEqual([
      `${IDENTITY_MISMATCH_REASON}: the payload says "coffee-pi-2", the topic's thing is "coffee-pi-1"`,
      `${IDENTITY_MISMATCH_REASON}: the payload says "coffee-pi-2", the topic's thing is "coffee-pi-1"`,
    ]);
    expect(summary()).toMatchObject({ refused: 2, identityMismatches: 2, ok: 1, rows: 1, readingsIn: 1 });
    expect(errorSink.files.size).toBe(0);
    expect(metrics).toEqual([
      {
        _aws: {
          Timestamp: FIREHOSE_ARRIVAL_MS + 120_000,
          CloudWatchMetrics: [
            {
              Namespace: PIPELINE_METRICS_NAMESPACE,
              Dimensions: [['Table'], []],
              Metrics: [
                { Name: 'IdentityMismatches', Unit: 'Count' },
                { Name: 'RefusedReadings', Unit: 'Count' },
                { Name: 'RefusedRecords', Unit: 'Count' },
              ],
            },
          ],
        },
        Table: 'telemetry',
        [PIPELINE_METRICS.identityMismatches]: 2,
        [PIPELINE_METRICS.refusedReadings]: 0,
        [PIPELINE_METRICS.refusedRecords]: 2,
      },
    ]);

    // The coffees stream reads the same batch: it leaves the telemetry stream's records alone.
    metrics.length = 0;
    const asCoffees = await handleFirehoseEvent(event, deps({ table: 'coffees' }));
    expect(asCoffees.records.map((r) => r.result)).toEqual(['Dropped', 'Dropped', 'Dropped']);
    expect(metrics[0]).toMatchObject({ IdentityMismatches: 0, RefusedRecords: 0, Table: 'coffees' });
  });

  it('lands 397 of 400 readings and writes the 3 bad ones to errors/readings/ with device, seq and reason', async () => {
    const { readings, bad } = mixedEnvelope();
    const event = firehoseEvent([telemetryIngestJson('coffee-pi-1', BOOT, readings)]);

    const result = await handleFirehoseEvent(event, deps());

    expect(result.records.map((r) => r.result)).toEqual(['Ok']);
    const rows = rowsOf(result.records[0]?.data);
    expect(rows).toHaveLength(397);
    expect(rows.map((row) => row.seq)).toEqual(range(1, 400).filter((seq) => !bad.has(seq)));

    expect([...errorSink.files.keys()]).toEqual([
      expect.stringMatching(
        /^errors\/readings\/telemetry\/ingest_year=2026\/ingest_month=11\/ingest_day=26\/ingest_hour=10\/[0-9a-f]{32}\.json$/,
      ),
    ]);
    const lines = errorLines();
    expect(lines.map((line) => line.seq)).toEqual([8, 151, 400]);
    const recordId = event.records[0]?.recordId ?? '';
    for (const line of lines) {
      const index = (line.seq ?? 0) - 1;
      expect(line).toEqual({
        id: `${recordId}#/readings/${index}`,
        arrivedAt: new Date(FIREHOSE_ARRIVAL_MS).toISOString(),
        reason: expect.stringMatching(bad.get(line.seq ?? 0) as RegExp),
        data: JSON.stringify(readings[index]),
        recordId,
        deviceId: 'coffee-pi-1',
        bootId: BOOT,
        seq: line.seq,
        table: 'telemetry',
      });
    }

    // Every reading accounted for exactly once.
    expect(summary()).toMatchObject({
      readingsIn: 400,
      rows: 397,
      duplicates: 0,
      refusedReadings: 3,
      reingestedReadings: 0,
      givenUpReadings: 0,
      errorFiles: 1,
      allDuplicate: 0,
    });
    expect(metrics[0]).toMatchObject({ RefusedReadings: 3, IdentityMismatches: 0, RefusedRecords: 0 });
  });

  it('answers Dropped for a record whose readings were all refused, counted as refused, not as duplicate', async () => {
    const badOnly = [
      { ...reading(5), humidity: -1 },
      { ...reading(6), seq: 0 },
    ];
    const event = firehoseEvent([
      telemetryIngestJson('coffee-pi-1', BOOT, [reading(1), reading(2)]),
      telemetryIngestJson('coffee-pi-1', BOOT, [reading(2), reading(1)]),
      telemetryIngestJson('coffee-pi-1', BOOT, badOnly),
    ]);
    const result = await handleFirehoseEvent(event, deps());
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'Dropped']);
    expect(summary()).toMatchObject({
      allDuplicate: 1,
      allRefused: 1,
      readingsIn: 6,
      rows: 2,
      duplicates: 2,
      refusedReadings: 2,
    });
    expect(errorLines().map((line) => [line.seq, line.reason])).toEqual([
      [5, expect.stringMatching(/^\/readings\/0\/humidity: must be >= 0/)],
      [0, expect.stringMatching(/^\/readings\/1\/seq: must be >= 1/)],
    ]);
  });

  it("writes a re-ingested record's refused readings once: when it comes back, not when it overflows", async () => {
    const { readings } = mixedEnvelope();
    const payload = telemetryIngestJson('coffee-pi-1', BOOT, readings);
    const first = firehoseEvent([payload]);

    // No room for its rows: Dropped and put back on the stream.
    const overflow = await handleFirehoseEvent(first, deps({}, 400));
    expect(overflow.records.map((r) => r.result)).toEqual(['Dropped']);
    expect(reingested).toHaveLength(1);
    expect(errorSink.files.size).toBe(0);
    expect(summary()).toMatchObject({
      readingsIn: 400,
      reingestedReadings: 400,
      refusedReadings: 0,
      rows: 0,
    });
    expect(metrics[0]).toMatchObject({ RefusedReadings: 0 });

    // It comes back (a new Kinesis record, re-ingested once) and fits this time.
    logs.length = 0;
    const back = Buffer.from((reingested[0] as ReingestRecord).data).toString('utf8');
    const again = firehoseEvent([back], ['coffee-pi-1'], 'kinesis', 7_000_000);
    const result = await handleFirehoseEvent(again, deps());
    expect(result.records.map((r) => r.result)).toEqual(['Ok']);
    expect(rowsOf(result.records[0]?.data)).toHaveLength(397);
    expect(errorLines().map((line) => [line.seq, line.recordId])).toEqual(
      [8, 151, 400].map((seq) => [seq, again.records[0]?.recordId]),
    );
  });

  it('writes the same errors file again when Firehose retries the invocation, never a second copy', async () => {
    const { readings } = mixedEnvelope();
    const event = firehoseEvent([telemetryIngestJson('coffee-pi-1', BOOT, readings)]);
    await handleFirehoseEvent(event, deps());
    await handleFirehoseEvent({ ...event, invocationId: 'a-retry' }, deps());
    expect(errorSink.files.size).toBe(1);
    expect(errorLines()).toHaveLength(3);
  });

  it('fails the invocation, before answering or re-ingesting, when the refused readings cannot be written', async () => {
    errorSink.failWith(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    // The first record fits, with one bad reading; the second overflows and would be re-ingested.
    const event: FirehoseTransformationEvent = firehoseEvent([
      telemetryIngestJson('coffee-pi-1', BOOT, [reading(1), { ...reading(2), humidity: 101 }]),
      telemetryIngestJson(
        'coffee-pi-1',
        BOOT,
        range(401, 50).map((seq) => reading(seq)),
      ),
    ]);
    const outcome = await handleFirehoseEvent(event, deps({}, 2_000)).then(
      (result: FirehoseTransformationResult) => result,
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ name: 'ErrorSinkWriteError', target: 'memory' });
    expect((outcome as Error).message).toMatch(/^could not write errors\/readings\/telemetry\//);
    expect(reingested).toEqual([]);
    expect(summary()).toBeUndefined();
    expect(metrics).toEqual([]);
    expect(logs.find((line) => line.level === 50)?.msg).toMatch(/refused readings could not be written/);
  });
});
