import { COFFEE_RECORD_TYPE } from '@coffee-iot/shared';
import type { LakeTableName } from '../columns.js';

const lenient = new TextDecoder();

/**
 * Which table's delivery stream reports a refused record, so that each bad record lands in
 * processing-failed/ once, not once per delivery stream reading the ingest stream: records that
 * say `"type": "coffee"` are the coffees stream's; everything else (telemetry, an unknown type,
 * bytes that are not even JSON) is the telemetry stream's, the one that reads everything the
 * devices send. Only refused records are looked at again, so the second parse costs nothing
 * on the hot path.
 */
export function claimedTable(data: Uint8Array): LakeTableName {
  try {
    const parsed: unknown = JSON.parse(lenient.decode(data));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { type?: unknown }).type === COFFEE_RECORD_TYPE
    ) {
      return 'coffees';
    }
  } catch {
    // Not JSON: the telemetry stream reports it.
  }
  return 'telemetry';
}
