import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly dir: string;
  remove(): Promise<void>;
}

/** A fresh directory under the OS temp dir; `remove()` deletes it and everything in it. */
export async function tempDir(label: string): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), `coffee-iot-local-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
