import { describe, expect, it } from 'vitest';
import { type ErrorSink, ErrorSinkWriteError } from '../lake/firehose/error-sink.js';

/** What the contract suite needs of one adapter. */
export interface ErrorSinkUnderTest {
  sink: ErrorSink;
  /** Reads a stored file back the way the adapter's store would serve it; undefined when absent. */
  read(key: string): Promise<string | undefined>;
  /** A sink of the same kind whose writes fail (S3: a bucket that does not exist). */
  broken(): ErrorSink;
}

/**
 * The behaviour every ErrorSink shares, run against the S3 adapter (on s3rver) and the memory
 * fake, so the fake the Firehose tests use behaves like the real thing, failures included.
 */
export function describeErrorSinkContract(name: string, setup: () => ErrorSinkUnderTest): void {
  describe(`ErrorSink contract: ${name}`, () => {
    const key =
      'errors/readings/telemetry/ingest_year=2026/ingest_month=11/ingest_day=26/ingest_hour=10/a1.json';
    const lines = `${JSON.stringify({ id: 'r1#/readings/2', reason: '/readings/2/humidity: must be <= 100' })}\n`;

    it('stores a file under its key, byte for byte, UTF-8 included', async () => {
      const { sink, read } = setup();
      const body = `${lines}${JSON.stringify({ id: 'r1#/readings/3', reason: 'µT ±1600 °C' })}\n`;
      await sink.write(key, body);
      expect(await read(key)).toBe(body);
    });

    it('replaces the file when the same key is written again (a retried invocation)', async () => {
      const { sink, read } = setup();
      const other = key.replace('a1.json', 'a2.json');
      await sink.write(other, 'first\n');
      await sink.write(other, lines);
      expect(await read(other)).toBe(lines);
    });

    it('fails with ErrorSinkWriteError naming the target and key when the store refuses', async () => {
      const broken = setup().broken();
      const error = await broken.write(key, lines).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ErrorSinkWriteError);
      expect((error as ErrorSinkWriteError).key).toBe(key);
      expect((error as ErrorSinkWriteError).target).toBe(broken.target);
      expect((error as Error).message).toMatch(/Firehose retries it/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });
  });
}
