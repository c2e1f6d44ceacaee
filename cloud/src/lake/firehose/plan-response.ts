import { withReingestedCount } from '@coffee-iot/shared';
import type {
  FirehoseRecordTransformationStatus,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import type { LakeTableName } from '../columns.js';
import type { PartitionValues } from '../rows.js';
import { ingestColumnsOf } from '../transform/ingest-columns.js';
import { type RecordOutcome, type RowSink, type SeenKeys, transformRecord } from '../transform/record.js';
import { SeenReadings } from '../transform/seen-readings.js';
import { claimedTable } from './claimed-table.js';
import type { FirehoseInput } from './event-inputs.js';
import { ndjsonOf } from './ndjson-rows.js';
import type { ReadingError } from './reading-errors.js';
import type { ReingestRecord } from './reingest.js';
import { base64Length, entryBytes, LAMBDA_RESPONSE_LIMIT_BYTES, responseBytes } from './response-size.js';

export interface FirehosePlanOptions {
  /** The table this delivery stream writes; records of the other one are answered Dropped. */
  table: LakeTableName;
  /** How many times one record may be re-ingested before it is given up (ProcessingFailed). */
  maxReingests: number;
  /** Answer Ok records with metadata.partitionKeys ingest_* (Firehose dynamic partitioning). */
  partitionKeys: boolean;
  /** Whether the re-ingest target could take this record at all. */
  canReingest: (record: ReingestRecord) => boolean;
  maxResponseBytes?: number;
}

/** A record answered ProcessingFailed, with why: Firehose writes it under processing-failed/. */
export interface FailedRecord {
  recordId: string;
  sequenceNumber: string | undefined;
  reason: string;
  /** The record's size. Its text is not carried: processing-failed/ keeps the record, and logs
   * carry no face attributes (coffee records have them). */
  bytes: number;
}

export interface FirehosePlanCounts {
  records: number;
  /** Records answered Ok, and the rows they carry. */
  ok: number;
  rows: number;
  /** Readings or coffees left out as already seen in this batch. */
  duplicates: number;
  /** Records of the other table (and refused ones the other table's stream reports): Dropped. */
  otherTable: number;
  /** Own records whose every reading was a duplicate: Dropped, nothing lost. */
  allDuplicate: number;
  /** Own records with no row left, at least one reading refused: Dropped, the refused ones in errors/. */
  allRefused: number;
  /** Own records refused whole: ProcessingFailed. */
  refused: number;
  /** Of `refused`, the records whose payload named another device than their topic. */
  identityMismatches: number;
  reingested: number;
  givenUp: number;
  /**
   * Readings of own telemetry records that parsed, each counted once in exactly one of the five
   * below: readingsIn = rows + duplicates + refusedReadings + reingestedReadings + givenUpReadings
   * (for the coffees table, coffees in place of readings).
   */
  readingsIn: number;
  /** Readings refused on their own: in `readingErrors`, for errors/readings/. */
  refusedReadings: number;
  /** Readings of re-ingested records: they are all checked again when the record comes back. */
  reingestedReadings: number;
  /** Rows of records given up (their record is in processing-failed/). */
  givenUpReadings: number;
}

export interface FirehosePlan {
  response: FirehoseTransformationResult;
  /** Bytes of JSON.stringify(response), computed without serializing it. */
  responseBytes: number;
  reingest: ReingestRecord[];
  refused: FailedRecord[];
  givenUp: FailedRecord[];
  /**
   * The refused readings of records answered for good (Ok, Dropped with no row, given up), to be
   * written before the answer is returned. A re-ingested record's are left out: they are checked
   * and written when it comes back, so each is written once however often its record overflows.
   */
  readingErrors: ReadingError[];
  counts: FirehosePlanCounts;
}

/** The response could not be kept under the limit even with every answer at its smallest. */
export class FirehoseResponseTooLargeError extends Error {
  override readonly name = 'FirehoseResponseTooLargeError';
}

const TABLE_OF_KIND = { telemetry: 'telemetry', coffee: 'coffees' } as const;

type Candidate = {
  index: number;
  outcome: Extract<RecordOutcome, { kind: 'telemetry' | 'coffee' }>;
  sink: RowSink;
  partition: PartitionValues;
};

type Answer = { result: FirehoseRecordTransformationStatus; data: string; partition?: PartitionValues };

/**
 * Decides every record's answer within the response limit, and which records to re-ingest.
 *
 * Every record is first given its smallest possible answer (Dropped or ProcessingFailed with
 * empty data), so every recordId is answered exactly once whatever happens next. The remaining
 * bytes then go, in this order, to: refused records' original data (ProcessingFailed: the bad
 * records for errors/); Ok answers, records re-ingested most often first (so a record near the
 * cap gets in before fresh ones, and a big batch still makes progress); and the original data
 * of records given up. An Ok that does not fit is answered Dropped and re-ingested with its
 * count raised, unless it has reached maxReingests or the target could never take it: then it is
 * given up as ProcessingFailed, never dropped unseen.
 */
export function planFirehoseResponse(
  inputs: readonly FirehoseInput[],
  options: FirehosePlanOptions,
): FirehosePlan {
  const limit = options.maxResponseBytes ?? LAMBDA_RESPONSE_LIMIT_BYTES;
  const counts: FirehosePlanCounts = {
    records: inputs.length,
    ok: 0,
    rows: 0,
    duplicates: 0,
    otherTable: 0,
    allDuplicate: 0,
    allRefused: 0,
    refused: 0,
    identityMismatches: 0,
    reingested: 0,
    givenUp: 0,
    readingsIn: 0,
    refusedReadings: 0,
    reingestedReadings: 0,
    givenUpReadings: 0,
  };
  const answers: Answer[] = inputs.map(() => ({ result: 'Dropped', data: '' }));
  const refusedIndexes: number[] = [];
  const refusedReasons = new Map<number, string>();
  const candidates: Candidate[] = [];
  const readingErrors: ReadingError[] = [];
  /** A record's refused readings go to errors/ once its answer is final. */
  const keepRefusedReadings = (input: FirehoseInput, outcome: Candidate['outcome']) => {
    for (const rejected of outcome.rejectedReadings) {
      readingErrors.push({ recordId: input.id, arrivedAt: input.arrivedAt, rejected });
    }
    counts.refusedReadings += outcome.rejectedReadings.length;
  };
  const seen: SeenKeys = { readings: new SeenReadings(), coffees: new Set() };

  inputs.forEach((input, index) => {
    const sink: RowSink = { telemetry: [], coffees: [] };
    const outcome = transformRecord(input, seen, sink);
    if (outcome.kind === 'rejected') {
      if (claimedTable(input.data) !== options.table) {
        counts.otherTable += 1;
        return;
      }
      refusedIndexes.push(index);
      refusedReasons.set(index, outcome.reason);
      if (outcome.identityMismatch) counts.identityMismatches += 1;
      (answers[index] as Answer).result = 'ProcessingFailed';
      return;
    }
    if (TABLE_OF_KIND[outcome.kind] !== options.table) {
      counts.otherTable += 1;
      return;
    }
    counts.readingsIn += outcome.rows + outcome.duplicates + outcome.rejectedReadings.length;
    counts.duplicates += outcome.duplicates;
    if (outcome.rows === 0) {
      // Nothing to deliver. Not "all duplicate" when readings were refused: those are errors.
      if (outcome.rejectedReadings.length > 0) counts.allRefused += 1;
      else counts.allDuplicate += 1;
      keepRefusedReadings(input, outcome);
      return;
    }
    // A candidate is reserved as ProcessingFailed, the larger of its two smallest answers
    // (Dropped when re-ingested, ProcessingFailed when given up).
    (answers[index] as Answer).result = 'ProcessingFailed';
    candidates.push({ index, outcome, sink, partition: ingestColumnsOf(input.arrivedAt) });
  });

  const entryOf = (index: number, answer: Answer): Omit<FirehoseTransformationResultRecord, 'data'> => {
    const recordId = (inputs[index] as FirehoseInput).id;
    return answer.partition === undefined || !options.partitionKeys
      ? { recordId, result: answer.result }
      : { recordId, result: answer.result, metadata: { partitionKeys: partitionKeysOf(answer.partition) } };
  };
  const sizes = answers.map((answer, index) => entryBytes(entryOf(index, answer), 0));
  let used = responseBytes(answers.length, sum(sizes));
  if (used > limit) {
    throw new FirehoseResponseTooLargeError(
      `${answers.length} records need ${used} bytes of response with empty data, over the ${limit}-byte limit: lower the delivery stream's Lambda buffer size`,
    );
  }
  /** Gives answer `index` its final form if the response still has room for it. */
  const tryAnswer = (index: number, answer: Answer): boolean => {
    const size = entryBytes(entryOf(index, answer), answer.data.length);
    const extra = size - (sizes[index] as number);
    if (used + extra > limit) return false;
    used += extra;
    sizes[index] = size;
    answers[index] = answer;
    return true;
  };

  const refused = refusedIndexes.map((index) => {
    const input = inputs[index] as FirehoseInput;
    // The original data if it fits (what processing-failed/ should hold); empty otherwise.
    tryAnswer(index, { result: 'ProcessingFailed', data: input.base64 });
    counts.refused += 1;
    return failedRecord(input, refusedReasons.get(index) ?? 'refused');
  });

  const reingest: ReingestRecord[] = [];
  const givenUpIndexes: { index: number; reason: string }[] = [];
  /** A given-up record's rows are in processing-failed/ with it; its refused readings in errors/. */
  const giveUp = (input: FirehoseInput, outcome: Candidate['outcome']) => {
    counts.givenUpReadings += outcome.rows;
    keepRefusedReadings(input, outcome);
  };
  const byPriority = [...candidates].sort(
    (a, b) => b.outcome.reingested - a.outcome.reingested || a.index - b.index,
  );
  for (const candidate of byPriority) {
    const { index, outcome, sink, partition } = candidate;
    const rows = options.table === 'telemetry' ? sink.telemetry : sink.coffees;
    const ndjson = ndjsonOf(options.table, rows);
    const okSize = entryBytes(
      entryOf(index, { result: 'Ok', data: '', partition }),
      base64Length(Buffer.byteLength(ndjson)),
    );
    if (used + okSize - (sizes[index] as number) <= limit) {
      tryAnswer(index, { result: 'Ok', data: Buffer.from(ndjson).toString('base64'), partition });
      counts.ok += 1;
      counts.rows += outcome.rows;
      keepRefusedReadings(inputs[index] as FirehoseInput, outcome);
      continue;
    }
    const input = inputs[index] as FirehoseInput;
    if (outcome.reingested >= options.maxReingests) {
      givenUpIndexes.push({
        index,
        reason: `its answer did not fit in the response after ${outcome.reingested} re-ingest(s), the most allowed`,
      });
      giveUp(input, outcome);
      continue;
    }
    const record: ReingestRecord = {
      recordId: input.id,
      partitionKey: input.partitionKey ?? outcome.deviceId,
      data: withReingestedCount(input.data, outcome.reingested + 1),
      reingested: outcome.reingested + 1,
    };
    if (!options.canReingest(record)) {
      givenUpIndexes.push({
        index,
        reason: 'its answer did not fit in the response and the re-ingest target cannot take it',
      });
      giveUp(input, outcome);
      continue;
    }
    tryAnswer(index, { result: 'Dropped', data: '' });
    reingest.push(record);
    counts.reingested += 1;
    // Its duplicates counted above are re-ingested too: the record comes back whole.
    counts.duplicates -= outcome.duplicates;
    counts.reingestedReadings += outcome.rows + outcome.duplicates + outcome.rejectedReadings.length;
  }

  const givenUp = givenUpIndexes.map(({ index, reason }) => {
    const input = inputs[index] as FirehoseInput;
    tryAnswer(index, { result: 'ProcessingFailed', data: input.base64 });
    counts.givenUp += 1;
    return failedRecord(input, reason);
  });

  const records = answers.map(
    (answer, index): FirehoseTransformationResultRecord => ({
      ...entryOf(index, answer),
      data: answer.data,
    }),
  );
  return {
    response: { records },
    responseBytes: responseBytes(records.length, sum(sizes)),
    reingest,
    refused,
    givenUp,
    readingErrors,
    counts,
  };
}

function partitionKeysOf(partition: PartitionValues): Record<string, string> {
  return {
    ingest_year: partition.ingest_year,
    ingest_month: partition.ingest_month,
    ingest_day: partition.ingest_day,
    ingest_hour: partition.ingest_hour,
  };
}

function failedRecord(input: FirehoseInput, reason: string): FailedRecord {
  return { recordId: input.id, sequenceNumber: input.sequenceNumber, reason, bytes: input.data.byteLength };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
