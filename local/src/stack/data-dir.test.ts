import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { ensureWritableDataDir } from './data-dir.js';
import { DataDirError } from './stack-errors.js';

describe('ensureWritableDataDir', () => {
  let temp: TempDir;

  beforeEach(async () => {
    temp = await tempDir('data-dir');
  });

  afterEach(async () => {
    await temp.remove();
  });

  it('creates the directory and its parents, leaving no probe file behind', async () => {
    const dir = join(temp.dir, 'a', 'b', '.local');

    await ensureWritableDataDir(dir);

    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts a directory that is already there, keeping what is in it', async () => {
    await writeFile(join(temp.dir, 'coffee-iot.sqlite'), 'x');

    await ensureWritableDataDir(temp.dir);

    expect(await readdir(temp.dir)).toEqual(['coffee-iot.sqlite']);
  });

  it('fails with a DataDirError naming the path when a parent is a regular file', async () => {
    const file = join(temp.dir, 'not-a-dir');
    await writeFile(file, '');
    const dir = join(file, 'data');

    const error = await ensureWritableDataDir(dir).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DataDirError);
    expect(error).toMatchObject({ name: 'DataDirError', path: dir, cause: { code: 'ENOTDIR' } });
    expect((error as Error).message).toContain(`data directory ${dir} is not usable: cannot create it`);
    expect((error as Error).message).toContain('--data-dir DIR');
  });

  it('fails with a DataDirError when the path itself is a regular file', async () => {
    const file = join(temp.dir, 'a-file');
    await writeFile(file, '');

    await expect(ensureWritableDataDir(file)).rejects.toMatchObject({ name: 'DataDirError', path: file });
  });
});
