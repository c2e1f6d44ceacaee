/**
 * A device payload as a JSON object, or why it is not one: what IoT Core's rules engine needs
 * before `SELECT *` can add fields to it. Bytes that are not UTF-8 are named as such rather than
 * decoded with U+FFFD into a JSON error.
 */
export type PayloadObject = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function payloadObject(payload: Uint8Array): PayloadObject {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { ok: false, reason: `payload is not UTF-8 (${payload.byteLength} bytes)` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `payload is not JSON (${(error as Error).message})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    return { ok: false, reason: `payload is not a JSON object (got ${got})` };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}
