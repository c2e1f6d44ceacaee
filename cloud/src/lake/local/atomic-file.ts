import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A hidden name beside `path` for writing it: readers glob `*.parquet` / list `*.json.gz`, so a
 * half-written `.name.xxxx.tmp` is never read, and rename() within one directory is atomic.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** fsync a directory, so a rename in it survives a power cut. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface AtomicWriteOptions {
  /**
   * fsync the file and its directory before returning: for the raw archive, the one copy that
   * cannot be rebuilt. Curated files and errors are rebuilt from it by replay, so they skip it.
   */
  durable?: boolean;
}

/** Writes `data` to `path` all at once or not at all (a reader sees the old state or the new file). */
export async function writeFileAtomically(
  path: string,
  data: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      if (options.durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (options.durable) await syncDirectory(dirname(path));
}

/** Moves a finished temp file (written by DuckDB) into place; removes it if that fails. */
export async function publishFile(temp: string, path: string): Promise<void> {
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
