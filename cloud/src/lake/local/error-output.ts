import type { RejectedRecord } from '../transform-types.js';

/**
 * errors/{partition}/{stem}.json: one JSON object per line for each refused record, with the
 * reason, so nothing leaves the stream without a trace. `id` names the record's line in the raw
 * archive (`raw/…/{stem}.json.gz:LINE`), the same live and on replay; a single refused reading
 * of an envelope whose other readings landed is `…:LINE#/readings/{index}`.
 */
export interface ErrorLine {
  id: string;
  arrivedAt: string;
  reason: string;
  /** The record's text, cut to a few KB by the transform; for one reading, the reading's JSON. */
  data: string;
  /** For one refused reading: its envelope's device and boot, and its seq (null when unusable). */
  deviceId?: string;
  bootId?: string;
  seq?: number | null;
}

export function encodeErrorLines(rejected: readonly RejectedRecord[], arrivedAt: Date): Buffer {
  const at = arrivedAt.toISOString();
  const lines = rejected.map((record) => {
    const line: ErrorLine = { id: record.id, arrivedAt: at, reason: record.reason, data: record.data };
    if (record.reading !== undefined) {
      line.deviceId = record.reading.deviceId;
      line.bootId = record.reading.bootId;
      line.seq = record.reading.seq;
    }
    return `${JSON.stringify(line)}\n`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

/** Parses an errors file (tests, tools). */
export function parseErrorLines(text: string): ErrorLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ErrorLine);
}
