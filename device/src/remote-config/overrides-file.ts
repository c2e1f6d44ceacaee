import { join } from 'node:path';
import { type ConfigFs, errnoCode } from '../config/config-fs.js';
import { writeFileDurably } from '../outbox/durable-fs.js';

/** In the state directory: the settings remote changes applied, kept across restarts. */
export const REMOTE_CONFIG_FILE = 'remote-config.json';

export function remoteConfigPath(stateDir: string): string {
  return join(stateDir, REMOTE_CONFIG_FILE);
}

/** The file's content: dotted agent.json keys and their values, as last accepted. */
export interface RemoteOverridesFile {
  v: 1;
  updatedAt: string;
  overrides: Record<string, unknown>;
}

export interface ReadOverrides {
  overrides: Record<string, unknown>;
  /** Why the file could not be used (the agent starts with agent.json alone and says so). */
  problem?: string;
}

/**
 * Read at start-up, synchronously like the rest of the configuration. A missing file is the normal
 * case (nothing changed remotely yet); a damaged one is reported, never fatal: a remote setting
 * must never be able to stop the agent from starting, since the agent is what would fix it.
 */
export function readOverrides(path: string, fs: ConfigFs): ReadOverrides {
  let text: string;
  try {
    text = fs.readText(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return { overrides: {} };
    return {
      overrides: {},
      problem: `${path}: cannot read it (${code ?? String(error)}); remote settings ignored`,
    };
  }
  try {
    const parsed = JSON.parse(text) as Partial<RemoteOverridesFile> | null;
    const overrides = parsed?.overrides;
    if (parsed?.v !== 1 || typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
      return {
        overrides: {},
        problem: `${path}: not a version 1 remote settings file; remote settings ignored`,
      };
    }
    return { overrides: { ...overrides } };
  } catch (error) {
    return {
      overrides: {},
      problem: `${path}: invalid JSON (${(error as Error).message}); remote settings ignored`,
    };
  }
}

/** Temp file, fsync, rename, fsync of the directory: after a power cut the file is old or new, never half. */
export async function writeOverrides(
  path: string,
  overrides: Readonly<Record<string, unknown>>,
  nowMs: number,
): Promise<void> {
  const file: RemoteOverridesFile = {
    v: 1,
    updatedAt: new Date(nowMs).toISOString(),
    overrides: { ...overrides },
  };
  await writeFileDurably(path, `${JSON.stringify(file, null, 2)}\n`);
}
