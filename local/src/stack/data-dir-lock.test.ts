import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import { DataDirError } from './stack-errors.js';

describe('one stack per data directory', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await tempDir('lock');
  });
  afterEach(() => dir.remove());

  it('takes the lock with its pid and gives it back', async () => {
    const lock = await lockDataDir(dir.dir, 4242);
    expect(await readFile(join(dir.dir, LOCK_FILE), 'utf8')).toBe('4242\n');
    await lock.release();
    await expect(readFile(join(dir.dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('refuses while another live stack holds it, naming the directory and the pid', async () => {
    await writeFile(join(dir.dir, LOCK_FILE), '777\n');
    const error = await lockDataDir(dir.dir, 4242, (pid) => pid === 777).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirError);
    expect((error as Error).message).toContain(dir.dir);
    expect((error as Error).message).toContain('pid 777');
  });

  it('takes over a stale lock whose process is gone', async () => {
    await writeFile(join(dir.dir, LOCK_FILE), '777\n');
    const lock = await lockDataDir(dir.dir, 4242, () => false);
    expect(await readFile(join(dir.dir, LOCK_FILE), 'utf8')).toBe('4242\n');
    await lock.release();
  });
});
