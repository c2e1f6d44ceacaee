import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/**
 * A JSON file written so a crash leaves the old or the new content, never half of one: write a
 * temporary file next to it, then rename over it (atomic on one file system).
 */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value)}\n`);
  await rename(temp, path);
}

/** The parsed file, or undefined when it does not exist; unreadable JSON names the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(`cannot read ${path}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StateFileError(
      `${path} is not JSON (${(error as Error).message}); move it away to start this state afresh`,
      { cause: error },
    );
  }
}
