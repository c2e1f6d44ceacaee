import type { CoffeeRow, TelemetryRow } from './rows.js';

/** One ingest-stream record as a consumer receives it (Kinesis event, Firehose event, local reader). */
export interface IngestInput {
  /** Names the record in error output: Kinesis sequence number, Firehose recordId, file:line. */
  id: string;
  /** The record's bytes: one JSON object, `type` telemetry | coffee. */
  data: Uint8Array;
  /** When the stream received it: Kinesis approximateArrivalTimestamp; gives the ingest_* partition. */
  arrivedAt: Date;
  /**
   * The Kinesis partition key, where the consumer sees it: the topic rule sets it to the topic's
   * thing name, so it must agree with the payload's device id.
   */
  partitionKey?: string | undefined;
}

/**
 * A record the transform refused, or one reading of an envelope whose other readings landed,
 * kept (never dropped silently) with the reason.
 */
export interface RejectedRecord {
  /** The record's id; for one reading, `{record id}#/readings/{index}`. */
  id: string;
  reason: string;
  /** The record's text (truncated to a few KB), or the reading's JSON, for the error output. */
  data: string;
  /** Set when one reading was refused: whose it is and which. */
  reading?: { deviceId: string; bootId: string; seq: number | null };
}

export interface TransformOutput {
  telemetry: TelemetryRow[];
  coffees: CoffeeRow[];
  rejected: RejectedRecord[];
  /** Readings left out because their (deviceId, seq) was already seen. */
  duplicateReadings: number;
  /** Coffee records left out because their photo key was already seen. */
  duplicateCoffees: number;
  /** Of `rejected`, the single readings (their envelopes' other readings landed). */
  rejectedReadings: number;
  /** Of `rejected`, the records refused because the payload named another device than its topic. */
  identityMismatches: number;
}
