import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { errnoCode } from '../config/config-fs.js';
import type { ConnectionState } from '../connection/connection-supervisor.js';
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
  lastPubackAt: string | null;
  agentVersion: string;
  startedAt: string;
  /** Present when the coffee button is enabled. */
  coffee?: CoffeeStatus;
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
 * Writes the file atomically (temp file + rename) so a reader never sees half a document.
 * World-readable on purpose: it holds no secrets, and `status` is usually run by an admin
 * account rather than the agent's own user (the unit's UMask would otherwise hide it).
 */
export async function writeStatusFile(stateDir: string, status: AgentStatus): Promise<void> {
  const target = statusFilePath(stateDir);
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(status, null, 2)}\n`, 'utf8');
    await chmod(temp, 0o644);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new StatusFileError(`cannot write ${target}: ${String(error)}`, { cause: error });
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
