import type { ShadowErrorResponse, ShadowUpdateRequest } from '@coffee-iot/shared';
import { depthOf, isPlainObject } from './shadow-state.js';

/** AWS limits: 8 KB of state per named shadow request, 6 levels of nesting, 64-byte client tokens. */
export const MAX_SHADOW_REQUEST_BYTES = 8 * 1024;
const MAX_STATE_DEPTH = 6;
const MAX_CLIENT_TOKEN_LENGTH = 64;

export type ParsedUpdate =
  | { ok: true; request: ShadowUpdateRequest }
  | { ok: false; error: Omit<ShadowErrorResponse, 'timestamp'> };

/**
 * An update request as the Device Shadow service checks it, with its error codes and (where AWS
 * documents them) its messages: 400 for what is not a request, 413 past the size limit.
 */
export function parseUpdateRequest(payload: Buffer): ParsedUpdate {
  if (payload.byteLength > MAX_SHADOW_REQUEST_BYTES) {
    return reject(413, 'The payload exceeds the maximum size allowed');
  }
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return reject(400, 'Payload contains invalid json');
  }
  if (!isPlainObject(body)) return reject(400, 'Payload contains invalid json');
  const clientToken = body.clientToken;
  if (
    clientToken !== undefined &&
    (typeof clientToken !== 'string' || clientToken.length > MAX_CLIENT_TOKEN_LENGTH)
  ) {
    return reject(400, `clientToken must be a string of at most ${MAX_CLIENT_TOKEN_LENGTH} characters`);
  }
  const token = clientToken === undefined ? {} : { clientToken };
  const { state, version } = body;
  if (!isPlainObject(state)) return reject(400, 'Missing required node: state', token);
  for (const key of Object.keys(state)) {
    if (key !== 'desired' && key !== 'reported') {
      return reject(400, `State contains an invalid node: '${key}'`, token);
    }
  }
  const { desired, reported } = state;
  for (const [name, section] of [
    ['desired', desired],
    ['reported', reported],
  ] as const) {
    if (section !== undefined && section !== null && !isPlainObject(section)) {
      return reject(400, `Invalid ${name} node: must be an object or null`, token);
    }
    if (depthOf(section) > MAX_STATE_DEPTH) {
      return reject(400, `JSON contains too many levels of nesting; maximum is ${MAX_STATE_DEPTH}`, token);
    }
  }
  if (desired === undefined && reported === undefined) {
    return reject(400, 'State node must have desired or reported', token);
  }
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
    return reject(400, 'Invalid version: must be a non-negative integer', token);
  }
  const request: ShadowUpdateRequest = {
    state: {
      ...(desired === undefined ? {} : { desired: desired as ShadowUpdateRequest['state']['desired'] }),
      ...(reported === undefined ? {} : { reported: reported as ShadowUpdateRequest['state']['reported'] }),
    },
    ...token,
    ...(version === undefined ? {} : { version: version as number }),
  };
  return { ok: true, request };
}

/** The client token of a get or delete request (an empty payload is fine), or an error. */
export function parseTokenOnly(
  payload: Buffer,
): { ok: true; clientToken?: string } | (ParsedUpdate & { ok: false }) {
  if (payload.byteLength === 0) return { ok: true };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return reject(400, 'Payload contains invalid json');
  }
  if (!isPlainObject(body)) return reject(400, 'Payload contains invalid json');
  const { clientToken } = body;
  if (clientToken === undefined) return { ok: true };
  if (typeof clientToken !== 'string' || clientToken.length > MAX_CLIENT_TOKEN_LENGTH) {
    return reject(400, `clientToken must be a string of at most ${MAX_CLIENT_TOKEN_LENGTH} characters`);
  }
  return { ok: true, clientToken };
}

function reject(
  code: number,
  message: string,
  token: { clientToken?: string } = {},
): { ok: false; error: Omit<ShadowErrorResponse, 'timestamp'> } {
  return { ok: false, error: { code, message, ...token } };
}
