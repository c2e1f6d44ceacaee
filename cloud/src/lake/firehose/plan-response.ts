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
import { TelemetryLines } from '../transform/telemetry-lines.js';
import { base64OfText } from './base64-text.js';
import { claimedTable } from './claimed-table.js';
import type { FirehoseInput } from './event-inputs.js';
import { ndjsonOf } from './ndjson-rows.js';
import type { ReadingError } from './reading-errors.js';
import type { ReingestRecord } from './reingest.js';
import { answerBytes, jsonStringBytes, LAMBDA_RESPONSE_LIMIT_BYTES, responseBytes } from './response-size.js';

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
  /**
   * The record's rows as the answer's data: NDJSON built once and encoded at once, so that what
   * stays alive until the answers are decided is one flat string, not the text's pieces.
   */
  data: string;
  partition: PartitionValues;
};

type PartitionKeys = Record<string, string>;

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
 *
 * Answer sizes are arithmetic on byte lengths already known (answerBytes), and each answer's
 * parts live in arrays indexed like the inputs: nothing is serialized to be measured, and no
 * object is built per record but the answer itself.
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
  const count = inputs.length;
  // Answer `index` is results[index], datas[index], keys[index] (its partition keys, when Ok).
  const results: FirehoseRecordTransformationStatus[] = new Array(count).fill('Dropped');
  const datas: string[] = new Array(count).fill('');
  const keys: (PartitionKeys | undefined)[] = new Array(count).fill(undefined);
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
  // One sink for the whole batch, emptied after each record: its rows become that record's NDJSON.
  const lines = new TelemetryLines();
  const sink: RowSink = { telemetry: lines, coffees: [] };

  for (let index = 0; index < count; index += 1) {
    const input = inputs[index] as FirehoseInput;
    lines.clear();
    sink.coffees.length = 0;
    const outcome = transformRecord(input, seen, sink);
    if (outcome.kind === 'rejected') {
      if (claimedTable(input.data) !== options.table) {
        counts.otherTable += 1;
        continue;
      }
      refusedIndexes.push(index);
      refusedReasons.set(index, outcome.reason);
      if (outcome.identityMismatch) counts.identityMismatches += 1;
      results[index] = 'ProcessingFailed';
      continue;
    }
    if (TABLE_OF_KIND[outcome.kind] !== options.table) {
      counts.otherTable += 1;
      continue;
    }
    counts.readingsIn += outcome.rows + outcome.duplicates + outcome.rejectedReadings.length;
    counts.duplicates += outcome.duplicates;
    if (outcome.rows === 0) {
      // Nothing to deliver. Not "all duplicate" when readings were refused: those are errors.
      if (outcome.rejectedReadings.length > 0) counts.allRefused += 1;
      else counts.allDuplicate += 1;
      keepRefusedReadings(input, outcome);
      continue;
    }
    // A candidate is reserved as ProcessingFailed, the larger of its two smallest answers
    // (Dropped when re-ingested, ProcessingFailed when given up).
    results[index] = 'ProcessingFailed';
    candidates.push({
      index,
      outcome,
      data:
        options.table === 'telemetry' ? lines.base64() : base64OfText(ndjsonOf(options.table, sink.coffees)),
      partition: ingestColumnsOf(input.arrivedAt),
    });
  }

  const idBytes = inputs.map((input) => jsonStringBytes(input.id));
  const sizes = results.map((result, index) => answerBytes(idBytes[index] as number, result, undefined, 0));
  let used = responseBytes(count, sum(sizes));
  if (used > limit) {
    throw new FirehoseResponseTooLargeError(
      `${count} records need ${used} bytes of response with empty data, over the ${limit}-byte limit: lower the delivery stream's Lambda buffer size`,
    );
  }
  const partitionKeysFor = partitionKeysCache(options.partitionKeys);
  /** Gives answer `index` its final form if the response still has room for it. */
  const tryAnswer = (
    index: number,
    result: FirehoseRecordTransformationStatus,
    data: string,
    partition?: PartitionValues,
  ): boolean => {
    const partitionKeys = partition === undefined ? undefined : partitionKeysFor(partition);
    const size = answerBytes(idBytes[index] as number, result, partitionKeys?.bytes, data.length);
    const extra = size - (sizes[index] as number);
    if (used + extra > limit) return false;
    used += extra;
    sizes[index] = size;
    results[index] = result;
    datas[index] = data;
    keys[index] = partitionKeys?.keys;
    return true;
  };

  const refused = refusedIndexes.map((index) => {
    const input = inputs[index] as FirehoseInput;
    // The original data if it fits (what processing-failed/ should hold); empty otherwise.
    tryAnswer(index, 'ProcessingFailed', input.base64);
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
  // Candidates are in index order: only a batch with re-ingested records needs sorting.
  const byPriority = candidates.some((candidate) => candidate.outcome.reingested > 0)
    ? [...candidates].sort((a, b) => b.outcome.reingested - a.outcome.reingested || a.index - b.index)
    : candidates;
  for (const candidate of byPriority) {
    const { index, outcome, data, partition } = candidate;
    const input = inputs[index] as FirehoseInput;
    if (tryAnswer(index, 'Ok', data, partition)) {
      counts.ok += 1;
      counts.rows += outcome.rows;
      keepRefusedReadings(input, outcome);
      continue;
    }
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
    tryAnswer(index, 'Dropped', '');
    reingest.push(record);
    counts.reingested += 1;
    // Its duplicates counted above are re-ingested too: the record comes back whole.
    counts.duplicates -= outcome.duplicates;
    counts.reingestedReadings += outcome.rows + outcome.duplicates + outcome.rejectedReadings.length;
  }

  const givenUp = givenUpIndexes.map(({ index, reason }) => {
    const input = inputs[index] as FirehoseInput;
    tryAnswer(index, 'ProcessingFailed', input.base64);
    counts.givenUp += 1;
    return failedRecord(input, reason);
  });

  const records = new Array<FirehoseTransformationResultRecord>(count);
  for (let index = 0; index < count; index += 1) {
    const recordId = (inputs[index] as FirehoseInput).id;
    const result = results[index] as FirehoseRecordTransformationStatus;
    const partitionKeys = keys[index];
    // Key order as Lambda serializes it: recordId, result, metadata, data.
    records[index] =
      partitionKeys === undefined
        ? { recordId, result, data: datas[index] as string }
        : { recordId, result, metadata: { partitionKeys }, data: datas[index] as string };
  }
  return {
    response: { records },
    responseBytes: responseBytes(count, sum(sizes)),
    reingest,
    refused,
    givenUp,
    readingErrors,
    counts,
  };
}

/**
 * The answer's metadata.partitionKeys for a partition, with its JSON bytes, or undefined when
 * the stream does not partition. Records of a batch nearly all share one hour: the last one is
 * kept, and its object shared by the answers of that hour.
 */
function partitionKeysCache(
  enabled: boolean,
): (partition: PartitionValues) => { keys: PartitionKeys; bytes: number } | undefined {
  let last: { partition: PartitionValues; keys: PartitionKeys; bytes: number } | undefined;
  return (partition) => {
    if (!enabled) return undefined;
    if (
      last !== undefined &&
      last.partition.ingest_year === partition.ingest_year &&
      last.partition.ingest_month === partition.ingest_month &&
      last.partition.ingest_day === partition.ingest_day &&
      last.partition.ingest_hour === partition.ingest_hour
    ) {
      return last;
    }
    const keys = partitionKeysOf(partition);
    last = { partition, keys, bytes: Buffer.byteLength(JSON.stringify(keys)) };
    return last;
  };
}

function partitionKeysOf(partition: PartitionValues): PartitionKeys {
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
