import { chmod, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { ClockStats } from '../clock/clock-guard.js';
import { errnoCode } from '../config/config-fs.js';
import type { ConnectionState } from '../connection/connection-supervisor.js';
import type { CauseCounts, StorageCause } from '../spool/storage-cause.js';
import type { TransportName } from '../transport/transport-port.js';

/**
 * What the running agent tells `coffee-iot-agent status` through `{stateDir}/status.json`.
 * Times are ISO-8601 UTC strings.
 */
export interface AgentStatus {
  pid: number;
  updatedAt: string;
  connection: ConnectionState;
  /** null until a transport has been chosen. */
  transport: TransportName | null;
  endpoint: string;
  /** Readings committed to the spool and not yet acknowledged by the broker. */
  spoolDepth: number;
  oldestUnsentAt: string | null;
  droppedReadings: number;
  sensorErrors: number;
  /** Readings the storage refused, per cause (absent in files from older agents). */
  unstoredReadings?: CauseCounts;
  /** The write-failure episode in progress; null while readings are stored. */
  storageFailure?: { cause: StorageCause; path: string; since: string } | null;
  lastPubackAt: string | null;
  agentVersion: string;
  startedAt: string;
  /** Present when the coffee button is enabled. */
  coffee?: CoffeeStatus;
  /** Whether the wall clock can be trusted, and the readings held for it (device/src/clock/). */
  clock?: ClockStats;
  /** What the last config shadow sync did (device/src/remote-config/). */
  remoteConfig?: RemoteConfigStatus;
  /** The job in progress and the last outcome (device/src/jobs/). */
  jobs?: JobsStatusFile;
}

export interface JobsStatusFile {
  current: { jobId: string; operation: string; startedAt: string } | null;
  last: { jobId: string; operation: string; status: string; reason: string | null; at: string } | null;
  succeeded: number;
  failed: number;
  rejected: number;
}

export interface RemoteConfigStatus {
  shadowVersion: number | null;
  syncedAt: string | null;
  applied: string[];
  /** Key → reason, as reported in the shadow. */
  refused: Record<string, string>;
  pendingRestart: string[];
  ignoredStaleDeltas: number;
  lastError: string | null;
}

export interface CoffeeStatus {
  presses: number;
  skippedPresses: number;
  captureFailures: number;
  outboxDepth: number;
  oldestPendingPhotoAt: string | null;
  outboxDropped: number;
  uploaded: number;
  uploadFailures: number;
  pendingEvents: number;
  /** Presses refused or lost because their event could not be stored, per cause. */
  unrecordedPresses?: CauseCounts;
  /** Photo writes to the outbox the storage refused, per cause. */
  outboxWriteFailures?: CauseCounts;
}

export const STATUS_FILE_NAME = 'status.json';
/** How often the agent should rewrite the file. */
export const STATUS_WRITE_INTERVAL_MS = 5000;
/** Older than three missed writes means the agent is hung or gone. */
export const STATUS_STALE_AFTER_MS = 3 * STATUS_WRITE_INTERVAL_MS;

export class StatusFileError extends Error {
  override readonly name = 'StatusFileError';
}

const isoOrNull = { type: ['string', 'null'] };
// Extra properties are allowed so an older `status` command can read a newer agent's file.
const statusSchema = {
  type: 'object',
  required: [
    'pid',
    'updatedAt',
    'connection',
    'transport',
    'endpoint',
    'spoolDepth',
    'oldestUnsentAt',
    'droppedReadings',
    'sensorErrors',
    'lastPubackAt',
    'agentVersion',
    'startedAt',
  ],
  properties: {
    pid: { type: 'integer', minimum: 1 },
    updatedAt: { type: 'string' },
    // Mirrors ConnectionState; 'stopped' is the last state an orderly shutdown writes.
    connection: { enum: ['connected', 'connecting', 'disconnected', 'stopped'] },
    transport: { enum: ['aws-crt', 'mqtt.js', null] },
    endpoint: { type: 'string' },
    spoolDepth: { type: 'integer', minimum: 0 },
    oldestUnsentAt: isoOrNull,
    droppedReadings: { type: 'integer', minimum: 0 },
    sensorErrors: { type: 'integer', minimum: 0 },
    lastPubackAt: isoOrNull,
    agentVersion: { type: 'string' },
    startedAt: { type: 'string' },
  },
};
// Compiled on first read: the running agent only writes the file and should not carry a
// second Ajv instance in its heap (memory budget on a Pi).
let statusValidator: ValidateFunction<AgentStatus> | undefined;
function validateStatus(value: unknown): value is AgentStatus {
  statusValidator ??= new Ajv({ allErrors: true, allowUnionTypes: true }).compile<AgentStatus>(statusSchema);
  return statusValidator(value);
}

export function statusFilePath(stateDir: string): string {
  return join(stateDir, STATUS_FILE_NAME);
}

/**
 * The file is padded with spaces to a whole number of these, so a later status always fits in
 * the blocks the file already owns (JSON ignores the trailing spaces).
 */
const STATUS_BLOCK_BYTES = 4096;
/**
 * Room always left after the document: a status that ended just short of a block boundary would
 * otherwise leave no space for what a disk-full episode adds (storageFailure, the counts), and
 * the in-place rewrite would fail exactly when it matters.
 */
const STATUS_HEADROOM_BYTES = 1024;

/**
 * Writes the file atomically (temp file + rename) so a reader never sees half a document.
 * World-readable on purpose: it holds no secrets, and `status` is usually run by an admin
 * account rather than the agent's own user (the unit's UMask would otherwise hide it).
 *
 * On a full disk the temp file cannot be written, and a status that stops updating would make
 * `status` call the agent dead exactly when it must say "disk full". So the document is then
 * written over the existing file in place, which needs no new blocks thanks to the padding.
 */
export async function writeStatusFile(stateDir: string, status: AgentStatus): Promise<void> {
  const target = statusFilePath(stateDir);
  const temp = `${target}.${process.pid}.tmp`;
  const text = padToBlocks(JSON.stringify(status, null, 2));
  try {
    await writeFile(temp, text, 'utf8');
    await chmod(temp, 0o644);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (await overwriteInPlace(target, text)) return;
    throw new StatusFileError(`cannot write ${target}: ${String(error)}`, { cause: error });
  }
}

/** The JSON, at least STATUS_HEADROOM_BYTES of spaces, and a final newline, in a whole number of blocks. */
function padToBlocks(json: string): string {
  const bytes = Buffer.byteLength(json) + 1;
  const size = Math.ceil((bytes + STATUS_HEADROOM_BYTES) / STATUS_BLOCK_BYTES) * STATUS_BLOCK_BYTES;
  return `${json}${' '.repeat(size - bytes)}\n`;
}

/**
 * Rewrites an existing file's bytes without growing it; false when it is missing, too small,
 * or this fails too. Not atomic, but one write of a few KiB within a page a reader rarely tears.
 */
async function overwriteInPlace(path: string, text: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r+');
    const { size } = await handle.stat();
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > size) return false;
    // Spaces where a longer old document ended, so no stale tail is left behind.
    const data = Buffer.concat([bytes, Buffer.alloc(size - bytes.length, ' ')]);
    await handle.write(data, 0, data.length, 0);
    await handle.datasync();
    return true;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** The last status the agent wrote, or null when there is none (the agent never ran here). */
export async function readStatusFile(stateDir: string): Promise<AgentStatus | null> {
  const path = statusFilePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw new StatusFileError(`cannot read ${path}: ${String(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StatusFileError(`${path} is not JSON: ${String(error)}`, { cause: error });
  }
  if (!validateStatus(parsed)) {
    const problems = (statusValidator?.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
    throw new StatusFileError(`${path} is not a status file: ${problems.join('; ')}`);
  }
  return parsed;
}
