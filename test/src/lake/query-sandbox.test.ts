import { existsSync } from 'node:fs';
import { mkdir, stat, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalLake } from '../../../cloud/src/lake/local/index.js';
import {
  ALLOWED_TABLE_FUNCTIONS,
  LakeFileOutsideError,
  openQuerySandbox,
  type QuerySandbox,
  SandboxSetupError,
  tableFunctionRefusal,
  verifyLocked,
} from '../../../cloud/src/lake/query-sandbox/index.js';
import { KNOWN_BATCHES, KNOWN_DEVICES, lakeFiles, tempLake } from './local-lake-fixtures.js';

/*
 * Each setting the sandbox relies on, proven on this DuckDB by running SQL straight on the locked
 * connection, past the statement check: what the check lets through meets these walls too.
 */

const LOCKED = /the configuration has been locked/;
const GATE = /Permission Error: Cannot access (file|directory) .* disabled by configuration/;

async function fails(connection: DuckDBConnection, sql: string): Promise<string> {
  try {
    await connection.runAndReadAll(sql);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected DuckDB to refuse: ${sql}`);
}

async function rows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRows();
}

describe('the query sandbox', () => {
  let base: string;
  let remove: () => Promise<void>;
  let lakeDir: string;
  let sandbox: QuerySandbox;
  let outsideParquet: string;
  let unlistedParquet: string;

  beforeAll(async () => {
    ({ dir: base, remove } = await tempLake());
    lakeDir = join(base, 'lake');
    const lake = await openLocalLake(lakeDir);
    for (const batch of KNOWN_BATCHES) await lake.ingest(batch.records, batch.arrivedAt);
    await lake.close();
    outsideParquet = join(base, 'outside.parquet');
    unlistedParquet = join(lakeDir, 'exports', 'old.parquet');
    await mkdir(join(lakeDir, 'exports'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`COPY (SELECT 'outside' AS secret) TO '${outsideParquet}'`);
    await connection.run(`COPY (SELECT 'not a view''s' AS secret) TO '${unlistedParquet}'`);
    connection.closeSync();
    instance.closeSync();
    // A symlinked directory in the lake pointing outside it: DuckDB's glob does not follow it.
    await symlink(base, join(lakeDir, 'curated', 'telemetry', 'ingest_year=2026', 'up'));
    sandbox = await openQuerySandbox(lakeDir, KNOWN_DEVICES);
  });

  afterAll(async () => {
    await sandbox?.close();
    await remove();
  });

  it('can read exactly the Parquet files the views read: no symlink, nothing else in the lake', async () => {
    const curated = (await lakeFiles(lakeDir)).filter(
      (file) => file.startsWith('curated/') && file.endsWith('.parquet'),
    );
    expect([...sandbox.readablePaths].sort()).toEqual(curated.map((file) => join(lakeDir, file)).sort());
    expect(sandbox.readablePaths.some((path) => path.includes('/up/'))).toBe(false);
    expect(await rows(sandbox.connection, 'SELECT count(*) FROM telemetry_all')).toEqual([[8n]]);
    const file = sandbox.readablePaths[0] as string;
    expect(await rows(sandbox.connection, `SELECT count(*) > 0 FROM read_parquet('${file}')`)).toEqual([
      [true],
    ]);
  });

  it('will not open over a lake file that is a symlink to a file outside the lake', async () => {
    // DuckDB's glob lists a symlinked file and allowed_paths takes the path as written: were it
    // opened, read_text on the link would print whatever it points at.
    const link = join(lakeDir, 'curated', 'coffees', 'leak.parquet');
    await symlink(outsideParquet, link);
    try {
      const error = await openQuerySandbox(lakeDir, []).catch((e) => e);
      expect(error).toBeInstanceOf(LakeFileOutsideError);
      expect(error.message).toContain(
        `the lake file ${link} resolves to ${outsideParquet}, outside the lake`,
      );
    } finally {
      await unlink(link);
    }
  });

  it('keeps the registry rows in an in-memory devices table', async () => {
    expect(await rows(sandbox.connection, 'SELECT thing_name, owner FROM devices')).toEqual([
      ['coffee-pi-a', 'Ada'],
    ]);
    expect(
      await rows(sandbox.connection, 'SELECT database_name, path FROM duckdb_databases() WHERE NOT internal'),
    ).toEqual([['memory', null]]);
  });

  it.each([
    ['a file outside the lake', "SELECT * FROM read_text('/etc/passwd')"],
    ['a Parquet file beside the lake', `SELECT * FROM read_parquet('{outside}')`],
    ['a Parquet file in the lake that no view reads', `SELECT * FROM read_parquet('{unlisted}')`],
    [
      'a symlinked directory in the lake',
      "SELECT * FROM read_parquet('{lake}/curated/telemetry/ingest_year=2026/up/outside.parquet')",
    ],
    ['a listing of the lake', "SELECT * FROM glob('{lake}/**')"],
    [
      '.. out of a partition',
      `SELECT * FROM read_parquet('{lake}/curated/telemetry/../../../outside.parquet')`,
    ],
    ['a URL', "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')"],
    ['a new file in the lake', "COPY (SELECT 1 AS x) TO '{lake}/curated/telemetry/extra.parquet'"],
    ['a file beside the lake', "COPY (SELECT 1 AS x) TO '{base}/written.csv'"],
    ['a database file', "ATTACH '{base}/x.duckdb' AS x"],
    ['an exported database', "EXPORT DATABASE '{base}/exported'"],
  ])('refuses %s at the file gate', async (_label, sql) => {
    const filled = sql
      .replaceAll('{outside}', outsideParquet)
      .replaceAll('{unlisted}', unlistedParquet)
      .replaceAll('{lake}', lakeDir)
      .replaceAll('{base}', base);
    expect(await fails(sandbox.connection, filled)).toMatch(GATE);
    for (const path of ['written.csv', 'x.duckdb', 'exported'])
      expect(existsSync(join(base, path))).toBe(false);
    expect(existsSync(join(lakeDir, 'curated', 'telemetry', 'extra.parquet'))).toBe(false);
  });

  it.each([
    'SET enable_external_access = true',
    "SET allowed_directories = ['/']",
    "SET allowed_paths = ['/etc/passwd']",
    'SET lock_configuration = false',
    'RESET lock_configuration',
    'SET autoinstall_known_extensions = true',
    'SET autoload_known_extensions = true',
    'SET allow_community_extensions = true',
    'SET allow_unsigned_extensions = true',
    "SET temp_directory = '/tmp'",
    "SET profiling_output = '/tmp/profile.json'",
  ])('holds its configuration: %s is refused', async (sql) => {
    expect(await fails(sandbox.connection, sql)).toMatch(LOCKED);
  });

  it('installs and loads no extension, not even one DuckDB knows', async () => {
    // spatial is a known extension: with autoloading on, DuckDB would try to fetch it here and
    // say "Extension Autoloading Error".
    const message = await fails(sandbox.connection, 'SELECT st_point(1, 2)');
    expect(message).toMatch(/"st_point" is not in the catalog, but it exists in the spatial extension/);
    expect(message).not.toMatch(/Autoloading/);
    expect(await fails(sandbox.connection, 'LOAD spatial')).toMatch(/disabled|Permission/);
    expect(await fails(sandbox.connection, 'INSTALL spatial')).toMatch(GATE);
    // The file gate refuses a community install before allow_community_extensions is asked.
    expect(await fails(sandbox.connection, 'INSTALL h3 FROM community')).toMatch(GATE);
    expect(
      await rows(
        sandbox.connection,
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions', 'allow_community_extensions', 'enable_external_access', 'lock_configuration') ORDER BY name",
      ),
    ).toEqual([
      ['allow_community_extensions', 'false'],
      ['autoinstall_known_extensions', 'false'],
      ['autoload_known_extensions', 'false'],
      ['enable_external_access', 'false'],
      ['lock_configuration', 'true'],
    ]);
  });

  it('spills to a private directory of its own, removed on close', async () => {
    const [[spill]] = (await rows(sandbox.connection, "SELECT current_setting('temp_directory')")) as [
      [string],
    ];
    expect(dirname(spill)).toBe(tmpdir());
    expect((await stat(spill)).mode & 0o777).toBe(0o700);
    const other = await openQuerySandbox(lakeDir, []);
    const [[otherSpill]] = (await rows(other.connection, "SELECT current_setting('temp_directory')")) as [
      [string],
    ];
    expect(otherSpill).not.toBe(spill);
    await other.close();
    expect(existsSync(otherSpill)).toBe(false);
  });

  it('opens over a lake that is not there yet, with nothing readable', async () => {
    const empty = await openQuerySandbox(join(base, 'no-lake-yet'), []);
    try {
      expect(empty.readablePaths).toEqual([]);
      expect(await rows(empty.connection, 'SELECT count(*) FROM telemetry')).toEqual([[0n]]);
      expect(
        await fails(empty.connection, `SELECT * FROM read_parquet('${sandbox.readablePaths[0]}')`),
      ).toMatch(GATE);
    } finally {
      await empty.close();
    }
  });

  it('will not run on a DuckDB that did not take its settings', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const error = await verifyLocked(connection, { readablePaths: [], spillDir: '/nowhere' }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(SandboxSetupError);
      expect(error.message).toMatch(/enable_external_access is true, not false/);
      expect(error.message).toMatch(/lock_configuration is false, not true/);
      expect(error.message).toMatch(/autoload_known_extensions is true, not false/);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('lists table functions that this DuckDB has, and refuses the ones that act', async () => {
    const known = new Set(
      (
        await rows(
          sandbox.connection,
          "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')",
        )
      ).map(([name]) => String(name)),
    );
    expect([...ALLOWED_TABLE_FUNCTIONS].filter((name) => !known.has(name))).toEqual([]);
    for (const name of [
      'enable_logging',
      'enable_profiling',
      'query',
      'query_table',
      'json_execute_serialized_sql',
      'checkpoint',
      'duckdb_secrets',
      'read_duckdb',
      'arrow_scan',
    ]) {
      expect(tableFunctionRefusal(name)).toBeDefined();
    }
    expect(tableFunctionRefusal('READ_PARQUET')).toBeUndefined();
  });
});
