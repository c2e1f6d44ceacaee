import { TELEMETRY_CONTRACT_VERSION } from '@coffee-iot/shared';
import type { SpooledReading } from '../spool/spool-port.js';

export interface EnvelopeBatch {
  /** The telemetry envelope v1 as JSON text. */
  payload: string;
  /** Byte length of `payload` (UTF-8). */
  bytes: number;
  /** Seqs of the readings inside, ascending. */
  seqs: number[];
}

export interface PackResult {
  /** The envelope to publish next, or null when `rows` is empty or starts with an oversized reading. */
  envelope: EnvelopeBatch | null;
  /** Leading readings too large to fit even alone in maxPayloadBytes. */
  oversized: SpooledReading[];
}

/**
 * Packs the longest run of spooled readings (same bootId, ascending seq) that fits in one
 * envelope of at most maxPayloadBytes. The readings' JSON is spliced in verbatim, so a
 * catch-up never parses or re-serialises what the spool already holds.
 */
export function packNextEnvelope(
  deviceId: string,
  rows: readonly SpooledReading[],
  maxPayloadBytes: number,
): PackResult {
  const oversized: SpooledReading[] = [];
  let index = 0;
  const first = rows[0];
  if (!first) return { envelope: null, oversized };
  let head = envelopeHead(deviceId, first.bootId);
  // Readings that cannot fit alone would be rejected by the broker forever: report them.
  while (index < rows.length) {
    const row = rows[index] as SpooledReading;
    head = envelopeHead(deviceId, row.bootId);
    if (Buffer.byteLength(head) + Buffer.byteLength(row.json) + ENVELOPE_TAIL_BYTES <= maxPayloadBytes) break;
    oversized.push(row);
    index += 1;
  }
  const start = rows[index];
  if (!start) return { envelope: null, oversized };

  const parts: string[] = [];
  const seqs: number[] = [];
  let bytes = Buffer.byteLength(head) + ENVELOPE_TAIL_BYTES;
  for (; index < rows.length; index += 1) {
    const row = rows[index] as SpooledReading;
    if (row.bootId !== start.bootId) break;
    const added = Buffer.byteLength(row.json) + (parts.length > 0 ? 1 : 0);
    if (bytes + added > maxPayloadBytes) break;
    parts.push(row.json);
    seqs.push(row.seq);
    bytes += added;
  }
  return { envelope: { payload: `${head}${parts.join(',')}]}`, bytes, seqs }, oversized };
}

const ENVELOPE_TAIL_BYTES = 2; // "]}"

function envelopeHead(deviceId: string, bootId: string): string {
  return `{"v":${TELEMETRY_CONTRACT_VERSION},"deviceId":${JSON.stringify(deviceId)},"bootId":${JSON.stringify(bootId)},"readings":[`;
}
