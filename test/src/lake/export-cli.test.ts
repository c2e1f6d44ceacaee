import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { EXPORT_USAGE, runExport } from '../../../cloud/src/cli/commands/export.js';
import { createDeviceRepository } from '../../../cloud/src/db/device-repository.js';
import { migrateToLatest } from '../../../cloud/src/db/migrate.js';
import { openSqliteDatabase } from '../../../cloud/src/db/sqlite-database.js';
import { COFFEES, DAY, NOW, TELEMETRY } from './export-known-day.js';
import { writeLakeTable } from './export-lake-fixture.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('coffee-iot export', () => {
  let dir: string;
  let lakeDir: string;
  let registry: string;

  async function exportCli(argv: string[], io: Partial<CliIo> = {}): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runExport(argv, {
      env: {},
      cwd: dir,
      now: () => NOW,
      ...io,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { code, stdout, stderr };
  }
  const withLake = (argv: string[]) =>
    exportCli([...argv, '--lake', lakeDir, '--database', `sqlite:${registry}`]);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-export-cli-'));
    lakeDir = join(dir, 'lake');
    registry = join(dir, 'registry.sqlite');
    await mkdir(lakeDir);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await writeLakeTable(connection, lakeDir, 'telemetry', TELEMETRY);
    await writeLakeTable(connection, lakeDir, 'coffees', COFFEES);
    connection.closeSync();
    instance.closeSync();
    const database = openSqliteDatabase(registry);
    try {
      await migrateToLatest(database.db);
      await createDeviceRepository(database).setDevice(
        'pi-a',
        { owner: 'Ada', location: 'Kitchen', model: 'Gaggia' },
        NOW,
      );
    } finally {
      await database.close();
    }
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exports a day, enriched from the registry, and reports what it wrote and left out', async () => {
    const run = await withLake(['--date', DAY]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`coffee-iot export: registry: sqlite ${registry} (from --database)\n`);
    expect(run.stdout).toBe(
      [
        `exported ${DAY} to ${join(lakeDir, 'exports', DAY)}`,
        '  telemetry: 6 readings',
        '  coffees:   3 coffees',
        '  devices:   1 in the registry, 1 not',
        '    pi-ghost: 2 readings, 1 coffee exported with owner, location and model empty',
        '  left out: 4 coffees with no valid photo URL',
        '    1 control-character: the photo URL holds a control character (newline, tab, NUL …) (event ids: e-newline)',
        '    1 empty-object-key: the photo key is empty (event ids: e-empty)',
        '    1 missing-photo-key: the coffee has no photo key (event ids: e-null)',
        '    1 object-key-too-long: the photo key is longer than the 1,024 bytes S3 allows (event ids: e-long)',
        `  files:     exports/${DAY}/telemetry.parquet, exports/${DAY}/telemetry.csv, exports/${DAY}/coffees.parquet, exports/${DAY}/coffees.csv`,
        '',
      ].join('\n'),
    );
  });

  it('exports yesterday (UTC) by default, and prints the report as JSON with --json', async () => {
    const run = await withLake(['--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'exported',
      day: DAY, // NOW is 2026-03-05T06:00Z
      exportedAt: NOW.toISOString(),
      rows: { telemetry: 6, coffees: 3 },
      devices: { registered: ['pi-a'], unregistered: [{ deviceId: 'pi-ghost', readings: 2, coffees: 1 }] },
    });
  });

  it('ends a day without data with "nothing to export", exit 0, writing nothing', async () => {
    const run = await withLake(['--date', '2026-03-10']);
    expect(run).toMatchObject({ code: 0, stdout: 'nothing to export for 2026-03-10\n' });
    expect(existsSync(join(lakeDir, 'exports'))).toBe(false);
  });

  it('goes on without the registry when there is no registry database, and says so', async () => {
    const missing = join(dir, 'nowhere.sqlite');
    const run = await exportCli(['--date', DAY, '--lake', lakeDir, '--database', `sqlite:${missing}`]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`coffee-iot export: note: no database at ${missing}`);
    expect(run.stderr).toContain('exporting without the registry (owner, location and model empty)');
    expect(run.stdout).toContain('  devices:   0 in the registry, 2 not\n');
    expect(existsSync(missing)).toBe(false);
  });

  it('takes the lake and the photo bucket from the environment, relative paths from the working directory', async () => {
    const run = await exportCli(['--date', DAY, '--database', `sqlite:${registry}`], {
      env: { COFFEE_IOT_LAKE_DIR: 'lake', COFFEE_IOT_PHOTO_BUCKET: 'other-photos' },
    });
    expect(run.code).toBe(0);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      `SELECT DISTINCT regexp_extract(photo_url, '^s3://([^/]+)/', 1) AS bucket FROM read_parquet('${join(lakeDir, 'exports', DAY, 'coffees.parquet')}')`,
    );
    expect(reader.getRowObjectsJS()).toEqual([{ bucket: 'other-photos' }]);
    connection.closeSync();
    instance.closeSync();
  });

  it('fails (exit 1) when there is no lake at the directory given, writing nothing', async () => {
    const run = await exportCli([
      '--date',
      DAY,
      '--lake',
      join(dir, 'no-lake'),
      '--database',
      `sqlite:${registry}`,
    ]);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain(`coffee-iot export: no lake at ${join(dir, 'no-lake')}: give --lake DIR`);
    expect(await readdir(dir)).not.toContain('no-lake');
  });

  describe('usage errors (exit 2, naming the flag)', () => {
    it.each([
      [['--date', '2026-3-4'], '--date: "2026-3-4" is not a day'],
      [['--date', '2026-02-30'], '--date: "2026-02-30" is not a day'],
      [['--date', 'yesterday'], '--date: "yesterday" is not a day'],
      [['--date'], "Option '--date <value>' argument missing"],
      [['--date', DAY, '--date', DAY], '--date is given more than once'],
      [['--photo-bucket', 'Coffee_Photos'], '--photo-bucket: "Coffee_Photos" is not a valid S3 bucket name'],
      [['--lake', ''], '--lake is empty'],
      [['--database', 'postgres://x'], '--database:'],
      [['--dry-run'], "Unknown option '--dry-run'"],
      [['2026-03-04'], 'unexpected arguments: 2026-03-04'],
    ])('%j', async (argv, message) => {
      const run = await exportCli(argv);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`coffee-iot export: ${message}`);
      expect(run.stderr).toContain('Run "coffee-iot export --help" for usage.');
    });

    it('a bad photo bucket from the environment names the variable', async () => {
      const run = await exportCli(['--date', DAY], { env: { COFFEE_IOT_PHOTO_BUCKET: 'a' } });
      expect(run).toMatchObject({ code: 2 });
      expect(run.stderr).toContain(
        'coffee-iot export: $COFFEE_IOT_PHOTO_BUCKET: "a" is not a valid S3 bucket name',
      );
    });
  });

  it('prints its help with --help', async () => {
    expect(await exportCli(['--help'])).toEqual({ code: 0, stdout: EXPORT_USAGE, stderr: '' });
  });
});
