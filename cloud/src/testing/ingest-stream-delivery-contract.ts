import { describe, expect, it } from 'vitest';
import {
  type IngestRecord,
  type IngestStream,
  StreamRecordRejectedError,
  StreamUnavailableError,
} from '../stream/ingest-stream.js';
import type { RetryPolicy, RetryTiming } from '../stream/retry-policy.js';

/** How one entry is refused, in words both APIs have an ErrorCode for. */
export type EntryRefusal = 'throttled' | 'internal';

/**
 * How the scripted service answers one call: every entry stored except those in `refuse` (by
 * position in this call), or the whole call fails (`throttled` is retryable, `missing` — the
 * stream does not exist — is not).
 */
export type CallAnswer =
  | { refuse?: Readonly<Record<number, EntryRefusal>> }
  | { fail: 'throttled' | 'missing' };

/** Answers call number `call` (1-based) that carried `sent` (each record's data as text). */
export type Script = (call: number, sent: readonly string[]) => CallAnswer;

/** What the contract needs of one adapter, its service replaced by a script. */
export interface IngestStreamUnderTest {
  /** The adapter, over a service that answers by `script`, with this policy and fake time. */
  open(script: Script, retry: { retry: Partial<RetryPolicy>; timing: RetryTiming }): IngestStream;
  /** Each call the adapter made so far: its records' data as text, in request order. */
  calls(): string[][];
  /** What StreamUnavailableError.stream must name. */
  stream: string;
  /** The API's ErrorCode for each kind of refusal, and its error name for a missing stream. */
  codes: Readonly<Record<EntryRefusal | 'missing', string>>;
  /** Entries in one call. */
  maxEntries: number;
  /** What the service counts of a record against its per-record limit, and that limit. */
  recordBytes(record: IngestRecord): number;
  maxRecordBytes: number;
}

const encoder = new TextEncoder();

function records(count: number): IngestRecord[] {
  return Array.from({ length: count }, (_, n) => ({
    partitionKey: `coffee-pi-0${n % 3}`,
    data: encoder.encode(JSON.stringify({ v: 1, type: 'coffee', n })),
  }));
}

const numberOf = (text: string) => (JSON.parse(text) as { n: number }).n;

/** A record whose counted size is exactly `bytes`: JSON `{"n":…,"pad":"xxx…"}`. */
function sized(subject: IngestStreamUnderTest, n: number, bytes: number): IngestRecord {
  const partitionKey = 'coffee-pi-01';
  const empty = { partitionKey, data: encoder.encode(JSON.stringify({ n, pad: '' })) };
  const pad = 'x'.repeat(bytes - subject.recordBytes(empty));
  return { partitionKey, data: encoder.encode(JSON.stringify({ n, pad })) };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected putRecords to reject, it resolved'),
    (e: unknown) => e,
  );
}

/**
 * What every IngestStream adapter to a real service does with what the service answers: the
 * callers (photo pipeline, CSV import) rely on exactly this, whichever adapter the environment
 * picks. Time is fake: `sleep` records each backoff, `random` replays the values given.
 */
export function describeIngestStreamDeliveryContract(name: string, setup: () => IngestStreamUnderTest): void {
  describe(`IngestStream delivery contract: ${name}`, () => {
    function open(subject: IngestStreamUnderTest, script: Script, randoms: number[] = [], maxAttempts = 6) {
      const delays: number[] = [];
      const stream = subject.open(script, {
        retry: { maxAttempts, baseDelayMs: 100, maxDelayMs: 1_000 },
        timing: { sleep: async (ms) => void delays.push(ms), random: () => randoms.shift() ?? 0.5 },
      });
      return { stream, delays };
    }

    const sentNumbers = (subject: IngestStreamUnderTest) => subject.calls().map((c) => c.map(numberOf));

    it('sends every record once, in order, in calls of at most the API’s entry limit', async () => {
      const subject = setup();
      const { stream, delays } = open(subject, () => ({}));
      const count = 2 * subject.maxEntries + 1;
      await stream.putRecords(records(count));
      expect(sentNumbers(subject).map((c) => c.length)).toEqual([subject.maxEntries, subject.maxEntries, 1]);
      expect(sentNumbers(subject).flat()).toEqual(records(count).map((_, n) => n));
      expect(delays).toEqual([]);
    });

    it('takes an empty call as a no-op', async () => {
      const subject = setup();
      const { stream } = open(subject, () => ({}));
      await stream.putRecords([]);
      expect(subject.calls()).toEqual([]);
    });

    it('after a partial failure resends exactly the refused entries, in order, after one backoff', async () => {
      const subject = setup();
      const { stream, delays } = open(
        subject,
        (call) => (call === 1 ? { refuse: { 1: 'throttled', 3: 'internal', 4: 'throttled' } } : {}),
        [0.25],
      );
      await stream.putRecords(records(6));
      expect(sentNumbers(subject)).toEqual([
        [0, 1, 2, 3, 4, 5],
        [1, 3, 4],
      ]);
      // Ceiling 100 ms, equal jitter with random 0.25: 50 + 0.25 × 50, rounded.
      expect(delays).toEqual([63]);
    });

    it('gives up after maxAttempts with StreamUnavailableError naming the stream, the records not accepted and why', async () => {
      const subject = setup();
      // Records 2, 7 and 8 are refused at every attempt, wherever they sit in the request.
      const script: Script = (_, sent) => {
        const refuse: Record<number, EntryRefusal> = {};
        sent.forEach((text, i) => {
          const n = numberOf(text);
          if (n === 2) refuse[i] = 'throttled';
          if (n === 7 || n === 8) refuse[i] = 'internal';
        });
        return { refuse };
      };
      const { stream, delays } = open(subject, script, [0, 1 - 1e-9, 0.5, 0.5, 0.5]);
      const error = await failure(stream.putRecords(records(10)));
      expect(error).toBeInstanceOf(StreamUnavailableError);
      if (!(error instanceof StreamUnavailableError)) return;
      expect(error.stream).toBe(subject.stream);
      expect(error.notAccepted).toEqual([2, 7, 8]);
      expect(error.errorCodes).toEqual({ [subject.codes.throttled]: 1, [subject.codes.internal]: 2 });
      expect(error.message).toContain(`stream ${subject.stream}: 3 of 10 record(s) not accepted`);
      expect(error.message).toContain(`${subject.codes.internal} ×2`);
      expect(sentNumbers(subject)).toEqual([
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [2, 7, 8],
        [2, 7, 8],
        [2, 7, 8],
        [2, 7, 8],
        [2, 7, 8],
      ]);
      // Ceilings 100, 200, 400, 800, 1000 (cap); each delay in [ceiling/2, ceiling].
      expect(delays).toEqual([50, 200, 300, 600, 750]);
    });

    it('retries a throttled whole call with all its entries, then succeeds', async () => {
      const subject = setup();
      const { stream, delays } = open(
        subject,
        (call): CallAnswer => (call === 1 ? { fail: 'throttled' } : {}),
        [0],
      );
      await stream.putRecords(records(3));
      expect(sentNumbers(subject)).toEqual([
        [0, 1, 2],
        [0, 1, 2],
      ]);
      expect(delays).toEqual([50]);
    });

    it('stops at once when the stream does not exist, counting later calls’ records as not accepted', async () => {
      const subject = setup();
      const { stream, delays } = open(subject, () => ({ fail: 'missing' }));
      const count = subject.maxEntries + 1;
      const error = await failure(stream.putRecords(records(count)));
      expect(error).toBeInstanceOf(StreamUnavailableError);
      if (!(error instanceof StreamUnavailableError)) return;
      expect(subject.calls()).toHaveLength(1);
      expect(delays).toEqual([]);
      expect(error.stream).toBe(subject.stream);
      expect(error.notAccepted).toEqual(records(count).map((_, n) => n));
      expect(error.errorCodes).toEqual({ [subject.codes.missing]: subject.maxEntries });
      expect((error.cause as Error | undefined)?.name).toBe(subject.codes.missing);
      expect(error.message).toContain(`${subject.stream}`);
      expect(error.message).toContain('1 later record(s) were not sent');
    });

    it('refuses a call holding a record over the limit before sending anything, naming each such record', async () => {
      const subject = setup();
      const { stream } = open(subject, () => ({}));
      const max = subject.maxRecordBytes;
      const call = [
        ...records(1),
        sized(subject, 1, max),
        sized(subject, 2, max + 1),
        ...records(1),
        sized(subject, 4, max + 100),
      ];
      const error = await failure(stream.putRecords(call));
      expect(error).toBeInstanceOf(StreamRecordRejectedError);
      if (!(error instanceof StreamRecordRejectedError)) return;
      expect(error.rejected.map(({ index, bytes }) => ({ index, bytes }))).toEqual([
        { index: 2, bytes: max + 1 },
        { index: 4, bytes: max + 100 },
      ]);
      for (const rejected of error.rejected) expect(rejected.reason).toContain(`${max}-byte record limit`);
      expect(subject.calls()).toEqual([]);

      await stream.putRecords([sized(subject, 1, max)]);
      expect(sentNumbers(subject)).toEqual([[1]]);
    });
  });
}
