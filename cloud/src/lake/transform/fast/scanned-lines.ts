import { TELEMETRY_COLUMNS } from '../../columns.js';
import type { IngestColumns } from '../ingest-columns.js';
import type { ReadingDedupe } from '../seen-readings.js';
import type { TelemetryLines } from '../telemetry-lines.js';
import type { ScannedTelemetry } from './scanned-telemetry.js';
import type { TelemetryRules } from './telemetry-rules.js';

const encoder = new TextEncoder();

/**
 * The column keys between a line's values, for number field f: `","temperature":` after the ts
 * (closing its quote), `,"humidity":` and so on after a number. From TELEMETRY_COLUMNS: a column
 * renamed there is renamed here.
 */
function fieldKeysOf(rules: TelemetryRules): Uint8Array[] {
  return rules.numberFields.map((source, f) => {
    const column = TELEMETRY_COLUMNS.find((c) => c.source === source);
    if (column === undefined) throw new Error(`no telemetry column for reading field ${source}`);
    return encoder.encode(`${f === 0 ? '"' : ''},"${column.name}":`);
  });
}

const TS_KEY = encoder.encode(',"ts":"');
const NULL = encoder.encode('null');

let keysFor: TelemetryRules | undefined;
let fieldKeys: Uint8Array[] = [];
/** Bytes of a line besides its prefix, suffix and the reading's own text (a bound for reserve). */
let fixedBytes = 0;

// One prefix per device and boot (a batch interleaves a few devices), one suffix per arrival.
const prefixes = new Map<string, { bootId: string; bytes: Uint8Array }>();
const MAX_PREFIXES = 4096;
let suffixTime = '';
let suffix = new Uint8Array(0);

/**
 * The scanned record's readings as JSON lines in `target`, byte for byte what appendTelemetryLines
 * writes for the parsed record: readings `seen` already has are left out (the others added to it),
 * and every value's text is copied from the record (the scanner took only texts that are already
 * what JSON.stringify writes for their values). Returns how many readings were duplicates.
 */
export function appendScannedLines(
  scan: ScannedTelemetry,
  data: Uint8Array,
  rules: TelemetryRules,
  deviceId: string,
  bootId: string,
  ingest: IngestColumns,
  seen: ReadingDedupe,
  target: TelemetryLines,
): number {
  if (keysFor !== rules) {
    keysFor = rules;
    fieldKeys = fieldKeysOf(rules);
    fixedBytes = TS_KEY.length + 24 + fieldKeys.reduce((sum, key) => sum + key.length + NULL.length, 0);
  }
  let known = prefixes.get(deviceId);
  if (known?.bootId !== bootId) {
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
    known = { bootId, bytes: encoder.encode(`{"device_id":"${deviceId}","boot_id":"${bootId}","seq":`) };
    prefixes.set(deviceId, known);
  }
  const prefix = known.bytes;
  if (ingest.ingest_time !== suffixTime) {
    suffixTime = ingest.ingest_time;
    suffix = encoder.encode(`,"ingest_time":"${suffixTime}"}\n`);
  }
  const fields = scan.fields;
  let duplicates = 0;
  for (let i = 0; i < scan.count; i += 1) {
    const seq = scan.seq[i] as number;
    if (seen.has(deviceId, seq)) {
      duplicates += 1;
      continue;
    }
    seen.add(deviceId, seq);
    // Every value's text is inside the reading's: its length bounds theirs.
    const out = target.reserve(
      prefix.length +
        suffix.length +
        fixedBytes +
        (scan.readingEnd[i] as number) -
        (scan.readingStart[i] as number),
    );
    let p = put(out, target.length, prefix, 0, prefix.length);
    p = put(out, p, data, scan.seqStart[i] as number, scan.seqEnd[i] as number);
    p = put(out, p, TS_KEY, 0, TS_KEY.length);
    const ts = scan.tsStart[i] as number;
    p = put(out, p, data, ts, ts + 10);
    out[p] = 0x20; // the lake's "YYYY-MM-DD HH:MM:SS.mmm": a space for the T, no Z
    p = put(out, p + 1, data, ts + 11, ts + 23);
    const base = i * fields;
    for (let f = 0; f < fields; f += 1) {
      const key = fieldKeys[f] as Uint8Array;
      p = put(out, p, key, 0, key.length);
      const start = scan.numberStart[base + f] as number;
      p = start < 0 ? put(out, p, NULL, 0, 4) : put(out, p, data, start, scan.numberEnd[base + f] as number);
    }
    target.length = put(out, p, suffix, 0, suffix.length);
    target.rows += 1;
  }
  return duplicates;
}

/** Copies source[start, end) to out at `at`; returns the index after it. Spans are a few bytes. */
function put(out: Uint8Array, at: number, source: Uint8Array, start: number, end: number): number {
  let p = at;
  for (let i = start; i < end; i += 1) {
    out[p] = source[i] as number;
    p += 1;
  }
  return p;
}
