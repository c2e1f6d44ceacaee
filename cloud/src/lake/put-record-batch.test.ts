import { describe, expect, it } from 'vitest';
import {
  chunkForPutRecordBatch,
  DeliveryRecordTooLargeError,
  DeliveryStreamUnavailableError,
  FIREHOSE_PUT_RECORD_BATCH_LIMITS,
  type PutRecordBatchResponse,
  putRecordBatchAll,
} from './firehose/put-record-batch.js';

const KiB = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const records = (count: number) => Array.from({ length: count }, (_, n) => encoder.encode(`{"n":${n}}`));
const numberOf = (data: Uint8Array) => (JSON.parse(decoder.decode(data)) as { n: number }).n;

/**
 * PutRecordBatch's documented answer: FailedPutCount, Encrypted, RequestResponses in request
 * order, each RecordId or ErrorCode + ErrorMessage. `failures` gives codes by request position.
 */
function answer(
  sent: readonly Uint8Array[],
  failures: Readonly<Record<number, string>> = {},
): PutRecordBatchResponse {
  return {
    FailedPutCount: Object.keys(failures).length,
    Encrypted: false,
    RequestResponses: sent.map((_, i) => {
      const code = failures[i];
      return code === undefined
        ? { RecordId: `9Kf1mVNdBzWPFdVtTmP8p3Xc7${String(i).padStart(4, '0')}` }
        : {
            ErrorCode: code,
            ErrorMessage: code === 'ServiceUnavailableException' ? 'Slow down.' : 'Internal failure.',
          };
    }),
  };
}

function awsError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name} from Firehose`), { name, $metadata: { httpStatusCode } });
}

/** putRecordBatchAll with a recording fake send and fake time. */
function harness(
  reply: (sent: readonly Uint8Array[], call: number) => PutRecordBatchResponse | Promise<never>,
) {
  const calls: number[][] = [];
  const delays: number[] = [];
  const send = async (sent: readonly Uint8Array[]) => {
    calls.push(sent.map(numberOf));
    return reply(sent, calls.length);
  };
  const put = (data: readonly Uint8Array[], maxAttempts = 6) =>
    putRecordBatchAll(data, send, {
      deliveryStream: 'coffee-iot-telemetry',
      retry: { maxAttempts, baseDelayMs: 100, maxDelayMs: 1_000 },
      timing: { sleep: async (ms) => void delays.push(ms), random: () => 0 },
    });
  return { calls, delays, put };
}

describe('putRecordBatchAll', () => {
  it('uses the limits the Firehose API reference states', () => {
    expect(FIREHOSE_PUT_RECORD_BATCH_LIMITS).toEqual({
      maxEntries: 500,
      maxBatchBytes: 4 * 1024 * KiB,
      maxRecordBytes: 1_000 * KiB,
    });
  });

  it('sends 1,201 records in order as 500 + 500 + 201', async () => {
    const { calls, delays, put } = harness((sent) => answer(sent));
    await put(records(1_201));
    expect(calls.map((c) => c.length)).toEqual([500, 500, 201]);
    expect(calls.flat()).toEqual(records(1_201).map((_, n) => n));
    expect(delays).toEqual([]);
  });

  it('splits by bytes at 4 MiB and refuses a record over 1,000 KiB before sending anything', async () => {
    const big = (n: number, bytes: number) => {
      const head = encoder.encode(`{"n":${n},"pad":"`);
      const data = new Uint8Array(bytes).fill(0x78);
      data.set(head);
      data.set(encoder.encode('"}'), bytes - 2);
      return data;
    };
    // Four records of 1,000 KiB are 4,096,000 bytes, a fifth would pass 4 MiB (4,194,304).
    expect(
      chunkForPutRecordBatch(Array.from({ length: 9 }, (_, n) => big(n, 1_000 * KiB))).map((c) => c.length),
    ).toEqual([4, 4, 1]);
    const { calls, put } = harness((sent) => answer(sent));
    const error = await put([...records(2), big(2, 1_000 * KiB + 1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryRecordTooLargeError);
    expect((error as Error).message).toMatch(/record\(s\) 2 are over the 1024000-byte/);
    expect(calls).toEqual([]);
  });

  it('resends only the entries whose response has an ErrorCode, after a backoff', async () => {
    const { calls, delays, put } = harness((sent, call) =>
      call === 1 ? answer(sent, { 1: 'ServiceUnavailableException', 4: 'InternalFailure' }) : answer(sent),
    );
    await put(records(6));
    expect(calls).toEqual([
      [0, 1, 2, 3, 4, 5],
      [1, 4],
    ]);
    expect(delays).toEqual([50]);
  });

  it('retries a throttled call whole, and stops at once on a failure no retry can fix', async () => {
    const throttled = harness((sent, call) =>
      call === 1 ? Promise.reject(awsError('ServiceUnavailableException', 503)) : answer(sent),
    );
    await throttled.put(records(3));
    expect(throttled.calls).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);

    const missing = harness(() => Promise.reject(awsError('ResourceNotFoundException', 400)));
    const error = await missing.put(records(501)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryStreamUnavailableError);
    expect(missing.calls).toHaveLength(1);
    expect((error as DeliveryStreamUnavailableError).notAccepted).toEqual(records(501).map((_, n) => n));
    expect((error as DeliveryStreamUnavailableError).errorCodes).toEqual({ ResourceNotFoundException: 500 });
    expect((error as Error).message).toMatch(/1 later record\(s\) were not sent/);
  });

  it('gives up after maxAttempts naming the records still refused and why', async () => {
    const { calls, delays, put } = harness((sent) => {
      const failures: Record<number, string> = {};
      sent.forEach((data, i) => {
        if (numberOf(data) === 2) failures[i] = 'ServiceUnavailableException';
      });
      return answer(sent, failures);
    });
    const error = await put(records(4), 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryStreamUnavailableError);
    expect((error as DeliveryStreamUnavailableError).notAccepted).toEqual([2]);
    expect((error as Error).message).toContain(
      'delivery stream coffee-iot-telemetry: 1 of 4 record(s) not accepted (ServiceUnavailableException ×1): ServiceUnavailableException: Slow down.',
    );
    expect(calls).toEqual([[0, 1, 2, 3], [2], [2]]);
    expect(delays).toEqual([50, 100]);
  });

  it('sends everything again when the answer cannot be matched to the request', async () => {
    const { calls, put } = harness((sent, call) =>
      call === 1 ? { ...answer(sent, { 0: 'InternalFailure' }), FailedPutCount: 0 } : answer(sent),
    );
    await put(records(3));
    expect(calls).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });
});
