import { configKeyByPath } from '../config/config-keys.js';

/**
 * What a remote change (the `config` shadow, a `set-config` job) may do to each agent.json key.
 *
 * - live: applied at once, no restart;
 * - restart: checked and persisted now, applied at the next start (reported as pendingRestart);
 * - refused: never taken from a remote source (REMOTE_REFUSED says why).
 */
export const LIVE_KEYS = [
  'intervalMs',
  'batchSeconds',
  'coffee.countdownSeconds',
  'logLevel',
  'healthIntervalSeconds',
] as const;

export type LiveKey = (typeof LIVE_KEYS)[number];

const LIVE = new Set<string>(LIVE_KEYS);

/**
 * Keys a remote change must not touch, because a wrong value would take the device out of reach of
 * the very channel that could fix it, or would hand its data or identity to someone else. Whoever
 * can write the shadow is not necessarily whoever holds the Pi: these stay with agent.json, the
 * command line and the dedicated, verified paths (certificate rotation, provisioning).
 */
export const REMOTE_REFUSED: Readonly<Record<string, string>> = {
  thingName:
    'the thing name is the MQTT client id and the identity the IoT policy grants; changing it remotely would lock the device out (set it in agent.json on the device)',
  endpoint:
    'a remote endpoint change could move the device to a broker where nobody can reach it to undo it (set it in agent.json on the device)',
  port: 'a remote port change could leave the device unable to reach any broker (set it in agent.json on the device)',
  cert: 'certificates change only through certificate rotation, which tests the new one before switching',
  key: 'the private key never changes remotely; certificate rotation makes a new one on the device',
  rootCa: 'the trusted CA decides which broker the device believes; it is never changed remotely',
  stateDir: 'the state directory holds the spool and this very configuration; it is set on the device only',
  'camera.mockDir': 'a remote file-system path could expose any directory the agent can read',
  'upload.bucket': 'where photos go is set on the device only: a remote change could send them elsewhere',
  'upload.endpoint': 'where photos go is set on the device only: a remote change could send them elsewhere',
  'upload.devStaticCredentials': 'local stack only; set it in agent.json',
  'credentials.endpoint':
    'the credential provider receives the device certificate; it is set on the device only',
  'credentials.roleAlias':
    'the role alias decides what the device may do in AWS; it is set on the device only',
  updatePublicKeyPath:
    'the key agent updates must be signed with is set on the device only: a remote change could make it trust another signer',
  ...Object.fromEntries(
    ['claimCert', 'claimKey', 'templateName', 'serialNumber', 'serialSource', 'requestTimeoutMs'].map(
      (key) => [
        `provisioning.${key}`,
        "provisioning by claim decides the device's identity; it is set in the image's agent.json only",
      ],
    ),
  ),
};

export type RemoteKeyKind =
  | { kind: 'live'; key: LiveKey }
  | { kind: 'restart' }
  | { kind: 'refused'; reason: string };

/** How a remote change treats `path` (a dotted agent.json key). */
export function remoteKeyKind(path: string): RemoteKeyKind {
  const refused = REMOTE_REFUSED[path];
  if (refused !== undefined) return { kind: 'refused', reason: refused };
  if (!configKeyByPath(path)) return { kind: 'refused', reason: 'unknown key: not an agent.json setting' };
  if (LIVE.has(path)) return { kind: 'live', key: path as LiveKey };
  return { kind: 'restart' };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `{coffee: {countdownSeconds: 5}}` → `{'coffee.countdownSeconds': 5}`. A shadow holds settings
 * in agent.json's nested shape; changes are handled one leaf at a time. An object where the schema
 * has a leaf stays a value, so the schema refuses it with its usual message.
 */
export function flattenSettings(
  document: Readonly<Record<string, unknown>>,
  prefix = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(document)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (isPlainObject(value) && !configKeyByPath(path)) Object.assign(out, flattenSettings(value, path));
    else out[path] = value;
  }
  return out;
}

/** The reverse of flattenSettings: the shape desired and reported must share for AWS to clear the delta. */
export function nestSettings(flat: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    const parts = path.split('.');
    const last = parts.pop() as string;
    let node = out;
    for (const part of parts) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[last] = value;
  }
  return out;
}

/** The value at a dotted path of a nested document. */
export function valueAtPath(document: unknown, path: string): unknown {
  let node = document;
  for (const part of path.split('.')) {
    node = isPlainObject(node) ? node[part] : undefined;
  }
  return node;
}
