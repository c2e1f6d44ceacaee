import type { SpooledReading } from '../spool/spool-port.js';

/** Readings seq fromSeq..toSeq were stamped `deltaMs` off the synchronised clock. */
export interface RestampRange {
  fromSeq: number;
  toSeq: number;
  deltaMs: number;
}

/** The range that covers `seq`, if any (ranges never overlap; there is one per clock episode). */
export function rangeFor(ranges: readonly RestampRange[], seq: number): RestampRange | undefined {
  return ranges.find((range) => seq >= range.fromSeq && seq <= range.toSeq);
}

/**
 * The spooled reading with its `ts` moved by `deltaMs`. Only `ts` changes: JSON.parse and
 * JSON.stringify keep the key order, so the reading is byte-for-byte what it was but for the time.
 */
export function restampRow(row: SpooledReading, deltaMs: number): SpooledReading {
  const reading = JSON.parse(row.json) as { ts: string };
  const takenAtMs = Date.parse(reading.ts) + deltaMs;
  reading.ts = new Date(takenAtMs).toISOString();
  return { ...row, takenAtMs, json: JSON.stringify(reading) };
}
