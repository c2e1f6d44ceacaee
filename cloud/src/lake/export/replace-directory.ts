import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A fresh directory beside `target` to write into. Same parent, so the final rename never crosses
 * a file system; a dot name, so nothing reading the exports mistakes it for a day.
 */
export async function stagingDirectoryFor(target: string): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  return mkdtemp(join(dirname(target), `.${basename(target)}.staging-`));
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Puts the fully written `staged` directory at `target`, replacing what was there. rename(2)
 * cannot replace a non-empty directory, so the old one is first moved aside and removed only once
 * the new one is in place: a reader sees the old export or the new one, never a half-written mix
 * (for an instant, neither). If the swap fails, the old export is put back.
 */
export async function replaceDirectory(staged: string, target: string): Promise<void> {
  const aside = join(dirname(target), `.${basename(target)}.replaced-${randomUUID()}`);
  let movedAside = false;
  try {
    await rename(target, aside);
    movedAside = true;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  try {
    await rename(staged, target);
  } catch (error) {
    if (movedAside) await rename(aside, target);
    throw error;
  }
  if (movedAside) await rm(aside, { recursive: true, force: true });
}
