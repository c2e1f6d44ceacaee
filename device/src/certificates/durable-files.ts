import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from '../outbox/durable-fs.js';

/** Private keys and everything beside them: only the agent's user. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Writes `data` so that after a crash `path` is either absent/old or complete: temp file beside
 * it (created with `mode`, so a key is never readable by others even for an instant), fsync,
 * rename, fsync the directory.
 */
export async function writeFileAtomically(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await fsyncDir(dirname(path));
}

/** Moves `from` over `to` and makes the rename durable in both directories. */
export async function moveDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(dirname(to));
  if (dirname(from) !== dirname(to)) await fsyncDir(dirname(from));
}

export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export async function makePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Removes `path` (file or directory, absent is fine) and makes that durable. */
export async function removeDurably(path: string): Promise<void> {
  if (!(await exists(path))) return;
  await rm(path, { recursive: true, force: true });
  await fsyncDir(dirname(path));
}
