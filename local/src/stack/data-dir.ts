import { constants } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirError } from './stack-errors.js';

/**
 * Creates the data directory and proves it writable before any part starts, so a read-only or
 * foreign-owned path fails with its name instead of deep inside SQLite or LevelDB.
 */
export async function ensureWritableDataDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o750 });
  } catch (error) {
    throw new DataDirError(path, `cannot create it (${(error as Error).message})`, { cause: error });
  }
  try {
    await access(path, constants.W_OK | constants.X_OK);
    const probe = join(path, `.write-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    throw new DataDirError(path, `cannot write to it (${(error as Error).message})`, { cause: error });
  }
}
