import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirError } from './stack-errors.js';

export const LOCK_FILE = 'stack.pid';

/** Directories locked by stacks of this process (tests and benchmarks run several). */
const lockedHere = new Set<string>();

/**
 * One stack per data directory: two would fight over the LevelDB lock, the SQLite file and the
 * ports. The lock is a file holding our pid, created exclusively; a lock whose process is gone
 * (a crash, a kill -9) is stale and taken over.
 */
export async function lockDataDir(
  dataDir: string,
  pid = process.pid,
  isAlive: (pid: number) => boolean = processAlive,
): Promise<{ release(): Promise<void> }> {
  const path = join(dataDir, LOCK_FILE);
  if (lockedHere.has(path)) {
    throw new DataDirError(
      dataDir,
      `another coffee-iot stack (pid ${pid}, this process) is using it; stop that one first`,
    );
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(path, `${pid}\n`, { flag: 'wx' });
      lockedHere.add(path);
      return {
        async release() {
          lockedHere.delete(path);
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder !== pid && isAlive(holder)) {
      throw new DataDirError(
        dataDir,
        `another coffee-iot stack (pid ${holder}) is using it; stop that one first`,
      );
    }
    await rm(path, { force: true });
  }
  throw new DataDirError(dataDir, `could not take ${path} (another stack starting at the same time?)`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
