import {
  ContractValidationError,
  IdentityMismatchError,
  type ParsedIngestRecord,
  parseIngestRecord,
} from '@coffee-iot/shared';
import type { CoffeeRow, TelemetryRow } from '../rows.js';
import type { IngestInput, RejectedRecord } from '../transform-types.js';
import { coffeeRowOf } from './coffee-row.js';
import { fastTelemetryRecord } from './fast/fast-telemetry.js';
import { type IngestColumns, ingestColumnsOf } from './ingest-columns.js';
import type { ReadingDedupe } from './seen-readings.js';
import { TelemetryColumns } from './telemetry-columns.js';
import { TelemetryLines } from './telemetry-lines.js';
import { appendTelemetryLines, appendTelemetryRows, rejectedReadingRecords } from './telemetry-rows.js';

/** What was already emitted: readings by (deviceId, seq), coffees by photo key. */
export interface SeenKeys {
  readings: ReadingDedupe;
  coffees: Set<string>;
}

/**
 * Where a record's rows go: the batch's arrays, or a record's own (the Firehose answer), whose
 * telemetry rows can be JSON lines straight away (TelemetryLines: no row objects), or the local
 * lake's columns (TelemetryColumns: no row objects either).
 */
export interface RowSink {
  telemetry: TelemetryRow[] | TelemetryLines | TelemetryColumns;
  coffees: CoffeeRow[];
}

/** Checks a record goes through besides its contract. */
export interface RecordCheckOptions {
  /** How far in the future a reading's ts may be against the record's arrival (shared's default). */
  maxFutureSkewMs?: number | undefined;
  /**
   * Replaying a raw archive: a record with neither `thing` nor a partition key was written before
   * the topic rule added `thing`, and keeps the device id it landed with then.
   */
  acceptUnvouched?: boolean | undefined;
}

/**
 * What became of one stream record; its rows are in the sink. For telemetry, every reading is
 * in exactly one of: a row, `duplicates`, `rejectedReadings`.
 */
export type RecordOutcome =
  | {
      kind: 'telemetry' | 'coffee';
      deviceId: string;
      reingested: number;
      /** Rows appended to the sink. */
      rows: number;
      /** Readings (or the coffee) left out as already seen. */
      duplicates: number;
      /** Readings refused on their own, each with its seq and reason, for errors/. */
      rejectedReadings: RejectedRecord[];
    }
  | {
      kind: 'rejected';
      reason: string /** The payload named another device than its topic. */;
      identityMismatch: boolean;
    };

function reasonOf(error: unknown): string {
  if (error instanceof ContractValidationError) return error.problems.join('; ');
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * One stream record → its rows in `sink`, deduplicated against `seen` (to which the emitted keys
 * are added), or the reason it is refused. Never throws: whatever goes wrong with one record is
 * that record's reason, and the other records of the batch go on. A refused record adds nothing
 * to the sink nor to `seen`.
 */
export function transformRecord(
  input: IngestInput,
  seen: SeenKeys,
  sink: RowSink,
  options: RecordCheckOptions = {},
): RecordOutcome {
  let ingest: IngestColumns;
  try {
    ingest = ingestColumnsOf(input.arrivedAt);
  } catch (error) {
    return { kind: 'rejected', reason: `arrival time unusable: ${reasonOf(error)}`, identityMismatch: false };
  }
  // The live record's way: valid telemetry read and written in one pass. Whatever it does not
  // take (coffee, anything unexpected or invalid) is parsed and validated, as it always was.
  return (
    fastTelemetryRecord(input, ingest, seen.readings, sink, options) ??
    transformParsedRecord(input, ingest, seen, sink, options)
  );
}

/**
 * transformRecord the general way: JSON.parse, the shared contract's checks (Ajv), rows from the
 * parsed record. Every record can take it; the fast path must give what it gives (tests hold the
 * two together, which is why it is exported).
 */
export function transformParsedRecord(
  input: IngestInput,
  ingest: IngestColumns,
  seen: SeenKeys,
  sink: RowSink,
  options: RecordCheckOptions = {},
): RecordOutcome {
  let parsed: ParsedIngestRecord;
  try {
    parsed = parseIngestRecord(input.data, {
      receivedAt: input.arrivedAt,
      partitionKey: input.partitionKey,
      maxFutureSkewMs: options.maxFutureSkewMs,
      acceptUnvouched: options.acceptUnvouched,
    });
  } catch (error) {
    return {
      kind: 'rejected',
      reason: reasonOf(error),
      identityMismatch: error instanceof IdentityMismatchError,
    };
  }

  if (parsed.type === 'telemetry') {
    const { envelope } = parsed;
    const target = sink.telemetry;
    let rows: number;
    let duplicates: number;
    if (target instanceof TelemetryLines) {
      const before = target.rows;
      duplicates = appendTelemetryLines(envelope, ingest, seen.readings, target);
      rows = target.rows - before;
    } else if (target instanceof TelemetryColumns) {
      // The general path is for the odd record: its rows are built as objects, then stored.
      const built: TelemetryRow[] = [];
      duplicates = appendTelemetryRows(envelope, ingest, seen.readings, built);
      for (const row of built) target.appendRow(row, ingest);
      rows = built.length;
    } else {
      const before = target.length;
      duplicates = appendTelemetryRows(envelope, ingest, seen.readings, target);
      rows = target.length - before;
    }
    return {
      kind: 'telemetry',
      deviceId: envelope.deviceId,
      reingested: parsed.reingested,
      rows,
      duplicates,
      rejectedReadings: rejectedReadingRecords(input.id, envelope, parsed.rejectedReadings),
    };
  }

  const built = coffeeRowOf(parsed.record, ingest);
  if (!built.ok) return { kind: 'rejected', reason: built.problems.join('; '), identityMismatch: false };
  const { deviceId, photoKey } = parsed.record;
  const duplicate = seen.coffees.has(photoKey);
  if (!duplicate) {
    seen.coffees.add(photoKey);
    sink.coffees.push(built.row);
  }
  return {
    kind: 'coffee',
    deviceId,
    reingested: parsed.reingested,
    rows: duplicate ? 0 : 1,
    duplicates: duplicate ? 1 : 0,
    rejectedReadings: [],
  };
}
