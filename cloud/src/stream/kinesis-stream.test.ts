import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IngestRecord, StreamUnavailableError } from './ingest-stream.js';
import { createKinesisClient, createKinesisIngestStream } from './kinesis-stream.js';

const STREAM = 'coffee-ingest';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const $metadata = { httpStatusCode: 200, requestId: 'c0ffee00-0000-4000-8000-000000000000' };

function coffees(count: number): IngestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `coffee-pi-0${i % 3}`,
    data: encoder.encode(JSON.stringify({ v: 1, type: 'coffee', n: i })),
  }));
}

type EntryErrorCode = 'ProvisionedThroughputExceededException' | 'InternalFailure';

function numberOf(entry: PutRecordsRequestEntry): number {
  return (JSON.parse(decoder.decode(entry.Data)) as { n: number }).n;
}

/**
 * The answer AWS documents: Records in request order, each SequenceNumber + ShardId or
 * ErrorCode + ErrorMessage; `failures` gives the error code by position in the request.
 */
function answer(
  entries: readonly PutRecordsRequestEntry[] = [],
  failures: Readonly<Record<number, EntryErrorCode>> = {},
): PutRecordsCommandOutput {
  return {
    $metadata,
    FailedRecordCount: Object.keys(failures).length,
    Records: entries.map((_, i) => {
      const code = failures[i];
      if (code === 'ProvisionedThroughputExceededException') {
        return {
          ErrorCode: code,
          ErrorMessage: `Rate exceeded for shard shardId-000000000001 in stream ${STREAM} under account 111122223333.`,
        };
      }
      if (code === 'InternalFailure') return { ErrorCode: code, ErrorMessage: 'Internal Service Failure' };
      return {
        SequenceNumber: `49546986683135544286507457936321625675700192471156785154${i}`,
        ShardId: 'shardId-000000000000',
      };
    }),
  };
}

/** What each PutRecords call carried, as [partition key, JSON n] pairs. */
function sentEntries(kinesis: ReturnType<typeof mockClient>): [string, number][][] {
  return kinesis
    .commandCalls(PutRecordsCommand)
    .map((call) =>
      (call.args[0].input.Records ?? []).map((r): [string, number] => [r.PartitionKey ?? '', numberOf(r)]),
    );
}

// Partial-failure resends, backoff, giving up and refused records are pinned for every adapter by
// the delivery contract (ingest-stream-delivery.test.ts); this suite keeps what is Kinesis's own.
describe('createKinesisIngestStream', () => {
  let client: KinesisClient;
  let kinesis: ReturnType<typeof mockClient>;
  let delays: number[];
  let randoms: number[];

  beforeEach(() => {
    client = new KinesisClient({ region: 'eu-west-1' });
    kinesis = mockClient(client);
    delays = [];
    randoms = [];
  });
  afterEach(() => {
    kinesis.restore();
    client.destroy();
  });

  /** The adapter with fake time: sleeps are recorded, random() replays `values` (0.5 when out). */
  function stream(values: number[] = [], retry: { maxAttempts?: number } = {}) {
    return createKinesisIngestStream({
      client,
      streamName: STREAM,
      retry: {
        retry: { baseDelayMs: 100, maxDelayMs: 1_000, ...retry },
        timing: {
          sleep: async (ms) => void delays.push(ms),
          random: () => {
            const value = values.shift() ?? 0.5;
            randoms.push(value);
            return value;
          },
        },
      },
    });
  }

  it('sends records in order with the stream name, chunked at 500', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input) => answer(input.Records));
    await stream().putRecords(coffees(1_001));
    const calls = kinesis.commandCalls(PutRecordsCommand);
    expect(calls.map((c) => c.args[0].input.StreamName)).toEqual([STREAM, STREAM, STREAM]);
    expect(calls.map((c) => c.args[0].input.StreamARN)).toEqual([undefined, undefined, undefined]);
    expect(sentEntries(kinesis).map((c) => c.length)).toEqual([500, 500, 1]);
    expect(sentEntries(kinesis).flat()).toEqual(coffees(1_001).map((r, n) => [r.partitionKey, n]));
    expect(delays).toEqual([]);
  });

  it('gives up after maxAttempts with backoff, naming how many records are refused and why', async () => {
    // Records 2, 7 and 8 are refused at every attempt, wherever they sit in the request.
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: PutRecordsRequestEntry[] }) => {
      const failures: Record<number, EntryErrorCode> = {};
      input.Records.forEach((entry, i) => {
        const n = numberOf(entry);
        if (n === 2) failures[i] = 'ProvisionedThroughputExceededException';
        if (n === 7 || n === 8) failures[i] = 'InternalFailure';
      });
      return answer(input.Records, failures);
    });
    const error = await stream([0, 1 - 1e-9, 0.5, 0.5, 0.5])
      .putRecords(coffees(10))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StreamUnavailableError);
    if (!(error instanceof StreamUnavailableError)) return;
    expect(error.stream).toBe(STREAM);
    expect(error.notAccepted).toEqual([2, 7, 8]);
    expect(error.errorCodes).toEqual({ ProvisionedThroughputExceededException: 1, InternalFailure: 2 });
    expect(error.message).toContain('3 of 10 record(s) not accepted, still refused after 6 attempt(s)');
    expect(error.message).toContain('ProvisionedThroughputExceededException ×1, InternalFailure ×2');
    expect(error.message).toContain('InternalFailure: Internal Service Failure');
    expect(sentEntries(kinesis).map((c) => c.map(([, n]) => n))).toEqual([
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

  it('keeps every jittered delay within [ceiling/2, ceiling]', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ message: 'Rate exceeded for stream', $metadata }),
      );
    const values = Array.from({ length: 7 }, (_, i) => (i * 0.37) % 1);
    await expect(stream(values, { maxAttempts: 8 }).putRecords(coffees(2))).rejects.toThrow(
      StreamUnavailableError,
    );
    const ceilings = [100, 200, 400, 800, 1_000, 1_000, 1_000];
    expect(delays).toHaveLength(7);
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual((ceilings[i] ?? 0) / 2);
      expect(delay).toBeLessThanOrEqual(ceilings[i] ?? 0);
    });
  });

  it('does not retry ResourceNotFoundException and names the stream and the cause', async () => {
    const notFound = new ResourceNotFoundException({
      message: `Stream ${STREAM} under account 111122223333 not found.`,
      $metadata: { httpStatusCode: 400 },
    });
    kinesis.on(PutRecordsCommand).rejects(notFound);
    const error = await stream()
      .putRecords(coffees(3))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StreamUnavailableError);
    expect((error as StreamUnavailableError).cause).toBe(notFound);
    expect((error as StreamUnavailableError).message).toMatch(
      /^stream coffee-ingest: 3 of 3 record\(s\) not accepted, PutRecords failed and retrying cannot help.*ResourceNotFoundException: Stream coffee-ingest under account 111122223333 not found\./,
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('addresses the stream by ARN when given one', async () => {
    const arn = `arn:aws:kinesis:eu-west-1:111122223333:stream/${STREAM}`;
    kinesis.on(PutRecordsCommand).callsFake((input) => answer(input.Records));
    await createKinesisIngestStream({ client, streamArn: arn }).putRecords(coffees(1));
    const input = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input?.StreamARN).toBe(arn);
    expect(input?.StreamName).toBeUndefined();
  });

  it('refuses to be created without a stream name or ARN', () => {
    expect(() => createKinesisIngestStream({ client })).toThrow(/needs streamName or streamArn/);
  });
});

describe('createKinesisClient', () => {
  it('talks HTTP/1.1 to a local endpoint such as kinesalite', () => {
    const client = createKinesisClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4567' });
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    client.destroy();
  });

  it("keeps the SDK's HTTP/2 handler for AWS and leaves retries to putAllRecords", async () => {
    const client = createKinesisClient({ region: 'eu-west-1' });
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttp2Handler);
    expect(await client.config.maxAttempts()).toBe(1);
    client.destroy();
  });
});
