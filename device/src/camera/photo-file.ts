import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CameraOutputError } from './camera-port.js';
import { checkJpeg } from './jpeg-check.js';

/** A temp file beside the destination, so the final rename stays on one file system. */
export interface TempPhoto {
  /** Absolute (or as given) path of the temp file. */
  path: string;
  /** Its name alone: short, no `%` (the camera programs treat -o as a printf format). */
  name: string;
  /** The destination's directory, where the temp file lives. */
  dir: string;
}

/**
 * Marks our temp files: hidden, and not `*.jpg`, so an outbox scanning its directory after a
 * crash never adopts a half-written capture. The camera programs take the format from
 * `--encoding`, not from the file name.
 */
export const TEMP_PHOTO_PREFIX = '.capture-';
export const TEMP_PHOTO_SUFFIX = '.tmp';

/**
 * Creates (exclusively) an empty temp file in the destination's directory: this reserves a
 * unique name and fails early, with a clear error, when the directory is missing or not
 * writable — before any camera program runs.
 */
export async function createTempPhoto(destinationPath: string): Promise<TempPhoto> {
  const dir = dirname(destinationPath);
  const name = `${TEMP_PHOTO_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}${TEMP_PHOTO_SUFFIX}`;
  const path = join(dir, name);
  try {
    const handle = await open(path, 'wx', 0o640);
    await handle.close();
  } catch (cause) {
    throw new CameraOutputError(
      destinationPath,
      `cannot create a temp file in ${dir} (${describe(cause)}); check the directory exists and is writable`,
      { cause },
    );
  }
  return { path, name, dir };
}

/**
 * Validates the temp file as a JPEG, fsyncs it, renames it over `destinationPath` and fsyncs
 * the directory, so the photo survives a power cut once this resolves. On any failure the
 * temp file is removed and CameraOutputError is thrown.
 */
export async function commitPhoto(
  temp: TempPhoto,
  destinationPath: string,
): Promise<{ bytes: number; width?: number; height?: number }> {
  try {
    let bytes: Buffer;
    try {
      bytes = await readFile(temp.path);
    } catch (cause) {
      throw new CameraOutputError(destinationPath, `no file was written (${describe(cause)})`, { cause });
    }
    const check = checkJpeg(bytes);
    if (!check.ok) throw new CameraOutputError(destinationPath, check.problem);
    try {
      const handle = await open(temp.path, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp.path, destinationPath);
    } catch (cause) {
      throw new CameraOutputError(
        destinationPath,
        `could not move ${basename(temp.path)} into place (${describe(cause)})`,
        { cause },
      );
    }
    await syncDirectory(temp.dir);
    const { width, height } = check;
    return { bytes: bytes.length, ...(width !== undefined && height !== undefined ? { width, height } : {}) };
  } catch (error) {
    await removeQuietly(temp.path);
    throw error;
  }
}

/** Removes a file, ignoring a file already gone (or any other failure: this is cleanup). */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

/** Persists the rename itself. Some file systems refuse fsync on a directory; that is not fatal. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // EINVAL/EISDIR on file systems without directory fsync: the rename is still atomic.
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
