import { TELEMETRY_COLUMNS } from '../../columns.js';
import type { IngestColumns } from '../ingest-columns.js';
import type { ReadingDedupe } from '../seen-readings.js';
import { NUMBER_COLUMNS, type TelemetryColumns } from '../telemetry-columns.js';
import type { ScannedTelemetry } from './scanned-telemetry.js';
import type { TelemetryRules } from './telemetry-rules.js';

/** For rule number field f, its index in NUMBER_COLUMNS (from TELEMETRY_COLUMNS' sources). */
function numberColumnsOf(rules: TelemetryRules): Int32Array {
  return Int32Array.from(rules.numberFields, (source) => {
    const column = TELEMETRY_COLUMNS.find((c) => c.source === source);
    const k = column === undefined ? -1 : NUMBER_COLUMNS.indexOf(column.name);
    if (k < 0) throw new Error(`no telemetry number column for reading field ${source}`);
    return k;
  });
}

let columnsFor: TelemetryRules | undefined;
let numberColumn: Int32Array = new Int32Array(0);

/**
 * The scanned record's readings straight into `target`'s columns: the values appendScannedRows
 * would put in row objects (the scanner's numbers are JSON.parse's own), the ts as the epoch
 * milliseconds its checked ISO text names, readings `seen` already has left out and the others
 * added to it. Returns how many readings were duplicates.
 */
export function appendScannedColumns(
  scan: ScannedTelemetry,
  data: Uint8Array,
  rules: TelemetryRules,
  deviceId: string,
  bootId: string,
  ingest: IngestColumns,
  seen: ReadingDedupe,
  target: TelemetryColumns,
): number {
  if (columnsFor !== rules) {
    columnsFor = rules;
    numberColumn = numberColumnsOf(rules);
  }
  target.reserve(scan.count);
  target.useIngest(ingest);
  const device = target.deviceCode(deviceId);
  const boot = target.bootCode(bootId);
  const ingestMs = target.ingestMs;
  const partition = target.partitionCode;
  const { value, numberStart, fields } = scan;
  let duplicates = 0;
  let row = target.rows;
  for (let i = 0; i < scan.count; i += 1) {
    const seq = scan.seq[i] as number;
    if (seen.has(deviceId, seq)) {
      duplicates += 1;
      continue;
    }
    seen.add(deviceId, seq);
    target.deviceCodes[row] = device;
    target.bootCodes[row] = boot;
    target.seq[row] = seq;
    target.ts[row] = isoMillisAt(data, scan.tsStart[i] as number);
    target.ingestTime[row] = ingestMs;
    target.partitionCodes[row] = partition;
    const base = i * fields;
    for (let f = 0; f < fields; f += 1) {
      const k = numberColumn[f] as number;
      if ((numberStart[base + f] as number) < 0) target.setNull(k, row);
      else (target.numbers[k] as Float64Array)[row] = value[base + f] as number;
    }
    row += 1;
  }
  target.rows = row;
  return duplicates;
}

// The last minute read (YYYYMMDDHHMM as a number) and its epoch ms: a record's readings nearly
// always share it, leaving two digits of seconds and three of milliseconds per reading.
let lastMinute = -1;
let lastMinuteMs = 0;

const digit = (data: Uint8Array, at: number) => (data[at] as number) - 0x30;
const two = (data: Uint8Array, at: number) => digit(data, at) * 10 + digit(data, at + 1);

/**
 * The scanner's checked `YYYY-MM-DDTHH:MM:SS.mmmZ` at `start` as epoch milliseconds (what
 * lakeTimestampMillis gives for the row path's text of it).
 */
function isoMillisAt(data: Uint8Array, start: number): number {
  const year = two(data, start) * 100 + two(data, start + 2);
  const minute =
    ((year * 100 + two(data, start + 5)) * 100 + two(data, start + 8)) * 10_000 +
    two(data, start + 11) * 100 +
    two(data, start + 14);
  if (minute !== lastMinute) {
    const ms = Date.UTC(
      year,
      two(data, start + 5) - 1,
      two(data, start + 8),
      two(data, start + 11),
      two(data, start + 14),
    );
    // Date.UTC reads years 0-99 as 1900-1999.
    lastMinuteMs = year >= 100 ? ms : new Date(ms).setUTCFullYear(year);
    lastMinute = minute;
  }
  return lastMinuteMs + two(data, start + 17) * 1000 + digit(data, start + 20) * 100 + two(data, start + 21);
}
