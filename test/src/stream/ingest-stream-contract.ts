import { describe, expect, it } from 'vitest';
import {
  type IngestRecord,
  type IngestStream,
  StreamRecordRejectedError,
} from '../../../cloud/src/stream/index.js';

export interface ContractSubject {
  stream: IngestStream;
  /** Everything the stream has accepted so far, in any order. */
  readBack(): Promise<IngestRecord[]>;
}

const MiB = 1024 * 1024;
const encoder = new TextEncoder();

function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Records as comparable [partition key, bytes as hex] pairs, sorted. */
function comparable(records: readonly IngestRecord[]): [string, string][] {
  return records
    .map((r): [string, string] => [r.partitionKey, Buffer.from(r.data).toString('hex')])
    .sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
}

/**
 * What every IngestStream must do, whether Kinesis (through kinesalite) or the in-memory fake:
 * the fake is what other tests trust, so it must accept and refuse exactly what the real one does.
 * `subject` gives a fresh, empty stream per test.
 */
export function describeIngestStreamContract(name: string, subject: () => Promise<ContractSubject>): void {
  describe(`IngestStream contract: ${name}`, () => {
    it('keeps every record with its partition key and bytes, up to a record of exactly 1 MiB', async () => {
      const { stream, readBack } = await subject();
      const key = 'coffee-pi-01';
      const records: IngestRecord[] = [
        { partitionKey: key, data: json({ v: 1, type: 'coffee', n: 1 }) },
        { partitionKey: 'café-☕', data: json({ v: 1, type: 'telemetry', n: 2 }) },
        { partitionKey: key, data: new Uint8Array(MiB - key.length).fill(0x7b) },
      ];
      await stream.putRecords(records);
      expect(comparable(await readBack())).toEqual(comparable(records));
    });

    it('takes an empty call as a no-op', async () => {
      const { stream, readBack } = await subject();
      await stream.putRecords([]);
      expect(await readBack()).toEqual([]);
    });

    it('refuses a call with an oversize record or an empty key, keeping none of its records', async () => {
      const { stream, readBack } = await subject();
      const good = { partitionKey: 'coffee-pi-01', data: json({ n: 1 }) };
      await expect(
        stream.putRecords([good, { partitionKey: 'coffee-pi-01', data: new Uint8Array(MiB) }]),
      ).rejects.toThrow(StreamRecordRejectedError);
      await expect(stream.putRecords([good, { partitionKey: '', data: json({ n: 2 }) }])).rejects.toThrow(
        StreamRecordRejectedError,
      );
      expect(await readBack()).toEqual([]);
    });
  });
}
