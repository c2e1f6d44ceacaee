import { ContractValidationError, type ParsedIngestRecord, parseIngestRecord } from '@coffee-iot/shared';
import type { CoffeeRow, TelemetryRow } from '../rows.js';
import type { IngestInput } from '../transform-types.js';
import { coffeeRowOf } from './coffee-row.js';
import { type IngestColumns, ingestColumnsOf } from './ingest-columns.js';
import type { ReadingDedupe } from './seen-readings.js';
import { appendTelemetryRows, telemetryProblems } from './telemetry-rows.js';

/** What was already emitted: readings by (deviceId, seq), coffees by photo key. */
export interface SeenKeys {
  readings: ReadingDedupe;
  coffees: Set<string>;
}

/** Where a record's rows go: the batch's arrays, or a record's own (the Firehose answer). */
export interface RowSink {
  telemetry: TelemetryRow[];
  coffees: CoffeeRow[];
}

/** What became of one stream record; its rows are in the sink. */
export type RecordOutcome =
  | {
      kind: 'telemetry' | 'coffee';
      deviceId: string;
      reingested: number;
      /** Rows appended to the sink. */
      rows: number;
      /** Readings (or the coffee) left out as already seen. */
      duplicates: number;
    }
  | { kind: 'rejected'; reason: string };

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
export function transformRecord(input: IngestInput, seen: SeenKeys, sink: RowSink): RecordOutcome {
  let ingest: IngestColumns;
  let parsed: ParsedIngestRecord;
  try {
    ingest = ingestColumnsOf(input.arrivedAt);
  } catch (error) {
    return { kind: 'rejected', reason: `arrival time unusable: ${reasonOf(error)}` };
  }
  try {
    parsed = parseIngestRecord(input.data);
  } catch (error) {
    return { kind: 'rejected', reason: reasonOf(error) };
  }

  if (parsed.type === 'telemetry') {
    const { envelope } = parsed;
    const problems = telemetryProblems(envelope);
    if (problems !== undefined) return { kind: 'rejected', reason: problems.join('; ') };
    const before = sink.telemetry.length;
    const duplicates = appendTelemetryRows(envelope, ingest, seen.readings, sink.telemetry);
    return {
      kind: 'telemetry',
      deviceId: envelope.deviceId,
      reingested: parsed.reingested,
      rows: sink.telemetry.length - before,
      duplicates,
    };
  }

  const built = coffeeRowOf(parsed.record, ingest);
  if (!built.ok) return { kind: 'rejected', reason: built.problems.join('; ') };
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
  };
}
