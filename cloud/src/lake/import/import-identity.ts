import { createHash } from 'node:crypto';

/**
 * How imported readings get the ids the contract needs, so that importing the same file twice
 * produces the very same records and the lake's dedupe on (deviceId, seq) keeps one row each.
 *
 * seq: when the CSV has no `seq` (the original Pi publisher had none), seq = the reading's ts in
 * epoch milliseconds. It cannot collide with a live seq: live seqs count from 1, one per reading
 * at 1 Hz, and the import refuses readings before 2012-01-01 (csv-reading.ts), so every derived seq
 * is at least 1,325,376,000,000 — a number a live device reaches after ~42,000 years of sampling.
 * Two rows of one device with the same millisecond get the same seq: they are the same reading.
 * A `seq` column is taken as given; use it only for the device's own seqs (a lake export).
 *
 * bootId: one fixed UUID per device, a name-based UUID version 5 (RFC 9562 §5.5) of the device id
 * in the namespace IMPORT_BOOT_ID_NAMESPACE. Live bootIds are random version 4 UUIDs, so an import
 * can never share a bootId with a live agent run, and anyone can recompute it from the device id.
 */

/** RFC 9562's predefined namespace for URLs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** The namespace of import bootIds: itself the version 5 UUID of our URL for imports. */
export const IMPORT_BOOT_ID_NAMESPACE = uuidV5(URL_NAMESPACE, 'https://coffee-iot.dev/telemetry/import');

/** A name-based (SHA-1) UUID, version 5, as RFC 9562 §5.5 builds it. */
export function uuidV5(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new TypeError(`namespace "${namespace}" is not a UUID`);
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The bootId every import gives this device's readings. */
export function importBootId(deviceId: string): string {
  return uuidV5(IMPORT_BOOT_ID_NAMESPACE, deviceId);
}

/** The seq of an imported reading without one: its ts in epoch milliseconds (see above). */
export function derivedSeq(tsMs: number): number {
  return tsMs;
}
