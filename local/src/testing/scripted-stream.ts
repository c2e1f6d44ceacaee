import {
  assertPuttable,
  type IngestRecord,
  type IngestStream,
  StreamUnavailableError,
} from '@coffee-iot/cloud';
import type { Deferred } from './deferred.js';

type Outcome =
  | { kind: 'fail'; error: Error }
  | { kind: 'refuse'; indexes: readonly number[] }
  | { kind: 'hold'; gate: Deferred<void> };

/**
 * An IngestStream for tests of code that writes to it, following the port's contract: a record
 * that can never be put fails the whole call (nothing accepted); a StreamUnavailableError with
 * `notAccepted` means every other record of the call was accepted. Outcomes are scripted per
 * call, in order; unscripted calls accept everything. Every call is recorded, failed ones too.
 */
export class ScriptedIngestStream implements IngestStream {
  /** The records of every call, in call order (copies). */
  readonly calls: IngestRecord[][] = [];
  /** Every accepted record, in the order accepted. */
  readonly accepted: IngestRecord[] = [];
  private readonly script: Outcome[] = [];

  /** The next call fails as a whole with `error` (or, for a StreamUnavailableError with notAccepted, partly). */
  failNext(error: Error = new StreamUnavailableError('stream told to fail')): this {
    this.script.push({ kind: 'fail', error });
    return this;
  }

  /** The next call accepts every record but those at `indexes`, and says so as the adapter does. */
  refuseNext(indexes: readonly number[]): this {
    this.script.push({ kind: 'refuse', indexes });
    return this;
  }

  /** The next call waits for `gate` before it accepts everything. */
  holdNext(gate: Deferred<void>): this {
    this.script.push({ kind: 'hold', gate });
    return this;
  }

  async putRecords(records: readonly IngestRecord[]): Promise<void> {
    const copies = records.map((record) => ({
      partitionKey: record.partitionKey,
      data: Uint8Array.from(record.data),
    }));
    this.calls.push(copies);
    assertPuttable(records);
    const outcome = this.script.shift();
    if (outcome?.kind === 'hold') await outcome.gate.promise;
    if (outcome?.kind === 'refuse') {
      const refused = new Set(outcome.indexes);
      this.accepted.push(...copies.filter((_, index) => !refused.has(index)));
      throw new StreamUnavailableError(`${refused.size} of ${records.length} record(s) not accepted`, {
        notAccepted: [...outcome.indexes],
      });
    }
    if (outcome?.kind === 'fail') {
      const { error } = outcome;
      if (error instanceof StreamUnavailableError && error.notAccepted !== undefined) {
        const refused = new Set(error.notAccepted);
        this.accepted.push(...copies.filter((_, index) => !refused.has(index)));
      }
      throw error;
    }
    this.accepted.push(...copies);
  }
}

/** Records' data decoded as JSON, for asserting on what went where. */
export function decodeRecords<T = Record<string, unknown>>(records: readonly IngestRecord[]): T[] {
  const decoder = new TextDecoder();
  return records.map((record) => JSON.parse(decoder.decode(record.data)) as T);
}
