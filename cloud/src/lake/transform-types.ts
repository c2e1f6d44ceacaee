import type { CoffeeRow, TelemetryRow } from './rows.js';

/** One ingest-stream record as a consumer receives it (Kinesis event, Firehose event, local reader). */
export interface IngestInput {
  /** Names the record in error output: Kinesis sequence number, Firehose recordId, file:line. */
  id: string;
  /** The record's bytes: one JSON object, `type` telemetry | coffee. */
  data: Uint8Array;
  /** When the stream received it: Kinesis approximateArrivalTimestamp; gives the ingest_* partition. */
  arrivedAt: Date;
}

/** A record the transform refused, kept (never dropped silently) with the reason. */
export interface RejectedRecord {
  id: string;
  reason: string;
  /** The record's text (truncated to a few KB) for the error output. */
  data: string;
}

export interface TransformOutput {
  telemetry: TelemetryRow[];
  coffees: CoffeeRow[];
  rejected: RejectedRecord[];
  /** Readings left out because their (deviceId, seq) was already seen. */
  duplicateReadings: number;
  /** Coffee records left out because their photo key was already seen. */
  duplicateCoffees: number;
}
