import { DEFAULT_MAX_FUTURE_SKEW_MS } from '@coffee-iot/shared';
import type { IngestInput } from '../../transform-types.js';
import type { IngestColumns } from '../ingest-columns.js';
import type { RecordCheckOptions, RecordOutcome, RowSink } from '../record.js';
import type { ReadingDedupe } from '../seen-readings.js';
import { TelemetryColumns } from '../telemetry-columns.js';
import { TelemetryLines } from '../telemetry-lines.js';
import { AsciiTexts } from './ascii-texts.js';
import { scanTelemetryRecord } from './scan-telemetry.js';
import { appendScannedColumns } from './scanned-columns.js';
import { appendScannedLines } from './scanned-lines.js';
import { appendScannedRows } from './scanned-rows.js';
import { ScannedTelemetry } from './scanned-telemetry.js';
import { TELEMETRY_RULES, type TelemetryRules } from './telemetry-rules.js';

const NO_REJECTED_READINGS: [] = [];

/**
 * The fast path of transformRecord for the live record: a telemetry record read in one pass over
 * its bytes, checked as it is read, its rows written from them (no JSON.parse, no object per
 * reading, no number turned back into text). Returns the record's outcome, with its rows in the
 * sink and its readings in `seen`, exactly as the slow path would; or undefined, having touched
 * neither, for any record it does not take (a coffee record, anything unexpected or invalid): the
 * slow path then decides, and words every refusal.
 */
export function fastTelemetryRecord(
  input: IngestInput,
  ingest: IngestColumns,
  seen: ReadingDedupe,
  sink: RowSink,
  options: RecordCheckOptions,
  rules: TelemetryRules | undefined = TELEMETRY_RULES,
): RecordOutcome | undefined {
  if (rules === undefined) return undefined;
  const latestTs = latestTsBytes(
    input.arrivedAt.getTime() + (options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS),
  );
  if (latestTs === undefined) return undefined;
  const scan = scanned(rules);
  const { data } = input;
  if (!scanTelemetryRecord(data, rules, latestTs, input.partitionKey, scan)) return undefined;
  const deviceId = deviceIds.of(data, scan.deviceStart, scan.deviceEnd);
  const bootId = bootIds.of(data, scan.bootStart, scan.bootEnd);
  const target = sink.telemetry;
  let rows: number;
  let duplicates: number;
  if (target instanceof TelemetryLines) {
    const before = target.rows;
    duplicates = appendScannedLines(scan, data, rules, deviceId, bootId, ingest, seen, target);
    rows = target.rows - before;
  } else if (target instanceof TelemetryColumns) {
    const before = target.rows;
    duplicates = appendScannedColumns(scan, data, rules, deviceId, bootId, ingest, seen, target);
    rows = target.rows - before;
  } else {
    const before = target.length;
    duplicates = appendScannedRows(scan, data, deviceId, bootId, ingest, seen, target);
    rows = target.length - before;
  }
  return {
    kind: 'telemetry',
    deviceId,
    reingested: scan.reingested,
    rows,
    duplicates,
    rejectedReadings: NO_REJECTED_READINGS,
  };
}

let scanFor: TelemetryRules | undefined;
let scan: ScannedTelemetry | undefined;

function scanned(rules: TelemetryRules): ScannedTelemetry {
  if (scanFor !== rules || scan === undefined) {
    scanFor = rules;
    scan = new ScannedTelemetry(rules.numberFields.length);
  }
  return scan;
}

const deviceIds = new AsciiTexts();
const bootIds = new AsciiTexts();

const encoder = new TextEncoder();
let latestMs = Number.NaN;
let latest: Uint8Array | undefined;

/** The latest landable ts as its 24 ISO bytes; undefined when it has no such text (the slow path's). */
function latestTsBytes(ms: number): Uint8Array | undefined {
  if (ms === latestMs) return latest;
  latestMs = ms;
  const date = new Date(ms);
  latest = Number.isNaN(date.getTime()) ? undefined : encoder.encode(date.toISOString());
  if (latest !== undefined && latest.length !== 24) latest = undefined;
  return latest;
}
