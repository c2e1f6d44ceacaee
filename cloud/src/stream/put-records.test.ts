import { describe, expect, it } from 'vitest';
import { type IngestRecord, StreamRecordRejectedError, StreamUnavailableError } from './ingest-stream.js';
import {
  type PutAllRecordsOptions,
  type PutRecordsResponse,
  type PutRecordsResultEntry,
  putAllRecords,
  type SendPutRecords,
} from './put-records.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from './retry-policy.js';
import { isRetryableCallError } from './retryable-error.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function records(count: number): IngestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `pi-${i % 3}`,
    data: encoder.encode(`r${i}`),
  }));
}

/** A send that answers with `answer(call, entries)` and remembers what each call carried. */
function scriptedSend(answer: (call: number, entries: readonly IngestRecord[]) => PutRecordsResponse) {
  const calls: string[][] = [];
  const send: SendPutRecords = async (entries) => {
    calls.push(entries.map((entry) => decoder.decode(entry.data)));
    return answer(calls.length, entries);
  };
  return { send, calls };
}

function acceptedEntries(entries: readonly IngestRecord[]): PutRecordsResultEntry[] {
  return entries.map((_, i) => ({ SequenceNumber: `4959${i}`, ShardId: 'shardId-000000000000' }));
}

function accepted(entries: readonly IngestRecord[]): PutRecordsResponse {
  return { FailedRecordCount: 0, Records: acceptedEntries(entries) };
}

const throttled = {
  ErrorCode: 'ProvisionedThroughputExceededException',
  ErrorMessage:
    'Rate exceeded for shard shardId-000000000000 in stream coffee-ingest under account 111122223333.',
};

function fakeTiming() {
  const delays: number[] = [];
  return { delays, timing: { sleep: async (ms: number) => void delays.push(ms), random: () => 0.5 } };
}

function options(timing: PutAllRecordsOptions['timing']): PutAllRecordsOptions {
  return { stream: 'coffee-ingest', timing };
}

async function rejection(promise: Promise<unknown>): Promise<StreamUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof StreamUnavailableError) return error;
  throw new Error(`expected StreamUnavailableError, got ${String(error)}`);
}

describe('putAllRecords', () => {
  it('makes no call for no records', async () => {
    const { send, calls } = scriptedSend((_, entries) => accepted(entries));
    await putAllRecords([], send, options(fakeTiming().timing));
    expect(calls).toEqual([]);
  });

  it('sends 1,200 records as three calls in order', async () => {
    const { send, calls } = scriptedSend((_, entries) => accepted(entries));
    await putAllRecords(records(1_200), send, options(fakeTiming().timing));
    expect(calls.map((c) => c.length)).toEqual([500, 500, 200]);
    expect(calls.flat()).toEqual(records(1_200).map((r) => decoder.decode(r.data)));
  });

  it('refuses an oversize record before sending any batch', async () => {
    const { send, calls } = scriptedSend((_, entries) => accepted(entries));
    const batch = [...records(600), { partitionKey: 'pi-0', data: new Uint8Array(1024 * 1024) }];
    await expect(putAllRecords(batch, send, options(fakeTiming().timing))).rejects.toThrow(
      StreamRecordRejectedError,
    );
    expect(calls).toEqual([]);
  });

  it('resends a malformed answer (Records length differs) whole, and names it when it persists', async () => {
    const { delays, timing } = fakeTiming();
    const { send, calls } = scriptedSend((_, entries) => accepted(entries.slice(1)));
    const error = await rejection(putAllRecords(records(3), send, options(timing)));
    expect(calls).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(calls.every((c) => c.length === 3)).toBe(true);
    expect(delays).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts - 1);
    expect(error.message).toContain('the response had 2 Records for 3 entries');
    expect(error.errorCodes).toEqual({ MalformedPutRecordsResponse: 3 });
    expect(error.notAccepted).toEqual([0, 1, 2]);
  });

  it('treats an entry with neither SequenceNumber nor ErrorCode, or a wrong FailedRecordCount, as malformed', async () => {
    const { send, calls } = scriptedSend((call, entries) => {
      if (call === 1) return { FailedRecordCount: 0, Records: [{}, ...acceptedEntries(entries.slice(1))] };
      if (call === 2) return { FailedRecordCount: 2, Records: acceptedEntries(entries) };
      return accepted(entries);
    });
    await putAllRecords(records(2), send, options(fakeTiming().timing));
    expect(calls).toEqual([
      ['r0', 'r1'],
      ['r0', 'r1'],
      ['r0', 'r1'],
    ]);
  });

  it('names refused records of a later batch and every record not sent after it', async () => {
    // Batch 2 (records 500–999) keeps refusing records 700 and 701; batch 3 is never sent.
    const { send, calls } = scriptedSend((_, entries) => ({
      FailedRecordCount: entries.filter((e) => ['r700', 'r701'].includes(decoder.decode(e.data))).length,
      Records: entries.map((e) =>
        ['r700', 'r701'].includes(decoder.decode(e.data)) ? throttled : { SequenceNumber: '1', ShardId: 's' },
      ),
    }));
    const error = await rejection(
      putAllRecords(records(1_200), send, { ...options(fakeTiming().timing), retry: { maxAttempts: 3 } }),
    );
    expect(calls.map((c) => c.length)).toEqual([500, 500, 2, 2]);
    expect(error.notAccepted).toEqual([700, 701, ...Array.from({ length: 200 }, (_, i) => 1_000 + i)]);
    expect(error.message).toMatch(
      /^stream coffee-ingest: 2 of 1200 record\(s\) not accepted, still refused after 3 attempt\(s\) \(ProvisionedThroughputExceededException ×2\): .*Rate exceeded.*; 200 later record\(s\) were not sent$/,
    );
  });

  it('stops at a non-retryable failure after earlier progress, naming only what is left', async () => {
    const { delays, timing } = fakeTiming();
    const denied = Object.assign(new Error('User is not authorized to perform: kinesis:PutRecords'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    const { send, calls } = scriptedSend((call, entries) => {
      if (call === 1)
        return { FailedRecordCount: 1, Records: [throttled, ...acceptedEntries(entries.slice(1))] };
      throw denied;
    });
    const error = await rejection(putAllRecords(records(4), send, options(timing)));
    expect(calls).toEqual([['r0', 'r1', 'r2', 'r3'], ['r0']]);
    expect(delays).toHaveLength(1);
    expect(error.cause).toBe(denied);
    expect(error.notAccepted).toEqual([0]);
    expect(error.errorCodes).toEqual({ AccessDeniedException: 1 });
    expect(error.message).toMatch(
      /retrying cannot help \(attempt 2\).*AccessDeniedException: User is not authorized/,
    );
  });

  it('retries network errors and timeouts', async () => {
    const failures = [
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' }),
      Object.assign(new Error('Service Unavailable'), {
        name: 'Unknown',
        $metadata: { httpStatusCode: 503 },
      }),
    ];
    const { send, calls } = scriptedSend((call, entries) => {
      const failure = failures[call - 1];
      if (failure) throw failure;
      return accepted(entries);
    });
    await putAllRecords(records(2), send, options(fakeTiming().timing));
    expect(calls).toHaveLength(4);
  });

  it('rejects a bad retry policy, naming each field', async () => {
    const { send } = scriptedSend((_, entries) => accepted(entries));
    await expect(
      putAllRecords(records(1), send, {
        ...options(fakeTiming().timing),
        retry: { maxAttempts: 0, baseDelayMs: -1 },
      }),
    ).rejects.toThrow(/maxAttempts must be an integer ≥ 1, got 0; baseDelayMs must be a number ≥ 0, got -1/);
  });
});

describe('retryDelayMs', () => {
  const policy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles its ceiling per retry up to the cap, never waiting less than half of it', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 0.999_999))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });
});

describe('isRetryableCallError', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 400, true],
    ['KMSThrottlingException', 400, true],
    ['InternalFailureException', 500, true],
    ['ServiceUnavailable', 503, true],
    ['SomethingNew', 502, true],
    ['ResourceNotFoundException', 400, false],
    ['AccessDeniedException', 400, false],
    ['ValidationException', 400, false],
    ['InvalidArgumentException', 400, false],
    ['KMSAccessDeniedException', 400, false],
    ['KMSDisabledException', 400, false],
    ['KMSNotFoundException', 400, false],
    ['UnrecognizedClientException', 400, false],
  ])('%s (HTTP %i) → %s', (name, httpStatusCode, expected) => {
    expect(isRetryableCallError(Object.assign(new Error('x'), { name, $metadata: { httpStatusCode } }))).toBe(
      expected,
    );
  });

  it('does not retry what is not an error', () => {
    expect(isRetryableCallError('ECONNRESET')).toBe(false);
    expect(isRetryableCallError(undefined)).toBe(false);
  });
});
