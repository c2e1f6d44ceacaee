import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Suffix of files being written; a file with it after a crash is an unfinished write. */
export const TEMP_SUFFIX = '.tmp';

/** Flushes a file's data to the device (the camera may have written it without fsync). */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory so the renames and unlinks in it survive a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` so that after a crash the file is either the old one or the complete
 * new one: write a temp file beside it, fsync it, rename it over `path`, fsync the directory.
 */
export async function writeFileDurably(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}${TEMP_SUFFIX}`;
  const handle = await open(temp, 'w', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await fsyncDir(dirname(path));
}
