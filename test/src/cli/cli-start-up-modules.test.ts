import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A command loads only its own family of modules: the CLI's start-up is most of a short command's
 * CPU time (a one-line `coffee-iot import` into the lake spent 1.4 CPU s, a third of it loading
 * the database drivers and query builder it never used). Runs the built CLI, as a user does.
 */
const CLI = fileURLToPath(new URL('../../../cloud/bin/coffee-iot.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('./fixtures/record-module-loads.mjs', import.meta.url));
const DATABASE_MODULES = ['/node_modules/kysely/', '/node_modules/mysql2/', '/node_modules/better-sqlite3/'];

describe('coffee-iot start-up', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-cli-modules-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function modulesLoadedBy(args: readonly string[]): Promise<string[]> {
    const log = join(dir, `modules-${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.log`);
    await writeFile(log, '');
    const run = spawnSync(process.execPath, ['--import', RECORDER, CLI, ...args], {
      env: { ...process.env, COFFEE_IOT_MODULE_LOG: log, COFFEE_IOT_LAKE_DIR: join(dir, 'lake') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (run.error) throw run.error;
    expect(run.status, run.stderr).toBe(0);
    return (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
  }

  it('imports a CSV into the local lake without loading the database drivers', async () => {
    const csv = join(dir, 'one.csv');
    await writeFile(
      csv,
      'device_id,ts,temperature,humidity,pressure,pitch,roll,yaw\ncoffee-pi-a,2026-01-01T00:00:00.000Z,20.5,40,1000,1,2,3\n',
    );
    const loaded = await modulesLoadedBy(['import', csv, '--lake', join(dir, 'lake')]);
    expect(loaded.some((url) => url.includes('/@duckdb/node-api/'))).toBe(true);
    expect(loaded.filter((url) => DATABASE_MODULES.some((m) => url.includes(m)))).toEqual([]);
  });

  it('still loads them for a database command', async () => {
    const loaded = await modulesLoadedBy([
      'db',
      'migrate',
      '--database',
      `sqlite:${join(dir, 'coffee.sqlite')}`,
    ]);
    expect(loaded.some((url) => url.includes('/node_modules/kysely/'))).toBe(true);
  });
});
