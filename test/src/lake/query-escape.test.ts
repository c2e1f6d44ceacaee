import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalLake } from '../../../cloud/src/lake/local/index.js';
import { runCli } from '../cli/run-cli.js';
import { KNOWN_BATCHES, lakeFiles, tempLake } from './local-lake-fixtures.js';

/*
 * `coffee-iot query` is a sandbox: each attempt below to write, to read a file that is not the
 * lake's, to change DuckDB's configuration or to run a second statement goes through the real
 * CLI entry point (`main`, what the `coffee-iot` binary calls) against a real lake, and must
 * fail with exit 1 and a message naming why, print nothing, leave every file under the test's
 * directory (the lake, a fake key beside it, the working directory) as it was, and never show
 * the key's content.
 */

const SECRET = 'FAKE PRIVATE KEY 3f9c2a71 never to be printed';
const REFUSED = 'refused: coffee-iot query runs one read-only statement (SELECT, WITH, EXPLAIN); got ';
const OUTSIDE = "refused: coffee-iot query reads only the lake's Parquet files";
const FUNCTION = (name: string) => `refused: coffee-iot query may not call ${name}()`;

/** Every entry under `dir`: a file's sha256, a symlink's target, or "dir". */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const key = relative(dir, path).split(sep).join('/');
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) result[key] = `link:${await readlink(path)}`;
    else if (stat.isDirectory()) result[key] = 'dir';
    else
      result[key] = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
  }
  return result;
}

describe('coffee-iot query: escape attempts', () => {
  let base: string;
  let remove: () => Promise<void>;
  let lakeDir: string;
  let pkiDir: string;
  let workDir: string;
  let databaseUrl: string;
  /** The first telemetry partition directory and a Parquet file in it. */
  let partition: string;
  let lakeFile: string;
  let before: Record<string, string>;
  const previousCwd = process.cwd();

  const query = (sql: string) =>
    runCli(['query', sql, '--lake', lakeDir, '--database', databaseUrl], { cwd: workDir });

  const fill = (sql: string) =>
    sql
      .replaceAll('{lake}', lakeDir)
      .replaceAll('{pki}', pkiDir)
      .replaceAll('{base}', base)
      .replaceAll('{partition}', partition)
      .replaceAll('{lakefile}', lakeFile);

  beforeAll(async () => {
    ({ dir: base, remove } = await tempLake());
    lakeDir = join(base, 'lake');
    pkiDir = join(base, 'pki');
    workDir = join(base, 'work');
    const lake = await openLocalLake(lakeDir);
    for (const batch of KNOWN_BATCHES) await lake.ingest(batch.records, batch.arrivedAt);
    await lake.close();
    // The registry lives apart: SQLite may add its journal beside it, which is not the lake's business.
    const registryDir = `${base}-registry`;
    await mkdir(registryDir);
    databaseUrl = `sqlite:${join(registryDir, 'registry.sqlite')}`;
    expect((await runCli(['db', 'migrate', '--database', databaseUrl])).code).toBe(0);
    expect(
      (await runCli(['devices', 'set', 'coffee-pi-a', '--owner', 'Ada', '--database', databaseUrl])).code,
    ).toBe(0);

    // A fake private key beside the lake, as the data directory has pki/ beside lake/.
    await mkdir(pkiDir);
    await writeFile(join(pkiDir, 'device.key'), `${SECRET}\n`);
    // A Parquet file outside the lake, readable by read_parquet if the gate let it.
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`COPY (SELECT '${SECRET}' AS secret) TO '${join(base, 'outside.parquet')}'`);
    connection.closeSync();
    instance.closeSync();
    // A symlink inside the lake pointing at the key directory.
    await symlink(pkiDir, join(lakeDir, 'curated', 'telemetry', 'keys'));
    await mkdir(workDir);
    lakeFile = join(
      lakeDir,
      ...((await lakeFiles(lakeDir)).find((file) => file.startsWith('curated/telemetry/')) ?? '').split('/'),
    );
    partition = dirname(lakeFile);
    // DuckDB resolves a relative COPY target against the process's directory: make it one we watch.
    process.chdir(workDir);
    before = await snapshot(base);
  });

  afterAll(async () => {
    process.chdir(previousCwd);
    await remove();
    await rm(`${base}-registry`, { recursive: true, force: true });
  });

  it.each([
    ['COPY … TO a file', "COPY (SELECT 'x') TO 'out.csv'", `${REFUSED}COPY`],
    [
      'COPY into a lake partition (adds rows)',
      "COPY (SELECT * FROM telemetry_all) TO '{partition}/extra.parquet' (FORMAT parquet)",
      `${REFUSED}COPY`,
    ],
    ['COPY over a lake file', "COPY (SELECT 1 AS x) TO '{lakefile}' (FORMAT parquet)", `${REFUSED}COPY`],
    ['EXPLAIN ANALYZE COPY', "EXPLAIN ANALYZE COPY (SELECT 'x') TO 'out.csv'", `${REFUSED}EXPLAIN ANALYZE`],
    [
      'EXPLAIN ANALYZE COPY into the lake',
      "EXPLAIN ANALYZE COPY (SELECT * FROM telemetry_all) TO '{partition}/extra.parquet' (FORMAT parquet)",
      `${REFUSED}EXPLAIN ANALYZE`,
    ],
    ['EXPLAIN ANALYZE SELECT', 'EXPLAIN ANALYZE SELECT count(*) FROM telemetry', `${REFUSED}EXPLAIN ANALYZE`],
    ['explain analyse (lower case, British)', 'explain analyse select 1', `${REFUSED}EXPLAIN ANALYZE`],
    ['EXPLAIN (ANALYZE) SELECT', 'EXPLAIN (ANALYZE) SELECT 1', `${REFUSED}EXPLAIN with options`],
    ['EXPLAIN COPY', "EXPLAIN COPY (SELECT 'x') TO 'out.csv'", `${REFUSED}EXPLAIN COPY`],
    ['EXPORT DATABASE', "EXPORT DATABASE '{base}/exported'", `${REFUSED}EXPORT`],
    ['ATTACH a database file', "ATTACH '{base}/x.duckdb' AS x", `${REFUSED}ATTACH`],
    ['ATTACH :memory:', "ATTACH ':memory:' AS m", `${REFUSED}ATTACH`],
    ['DETACH', 'DETACH memory', `${REFUSED}DETACH`],
    ['INSTALL', 'INSTALL httpfs', `${REFUSED}INSTALL`],
    ['LOAD', 'LOAD httpfs', `${REFUSED}LOAD`],
    ['PRAGMA', 'PRAGMA enable_profiling', `${REFUSED}PRAGMA`],
    ['PRAGMA setting a file', "PRAGMA profiling_output = '{base}/profile.json'", `${REFUSED}PRAGMA`],
    ['SET', 'SET enable_external_access = true', `${REFUSED}SET`],
    ['RESET', 'RESET lock_configuration', `${REFUSED}RESET`],
    ['CALL', "CALL enable_logging(storage = 'file', storage_path = '{base}/log')", `${REFUSED}CALL`],
    ['CREATE TABLE', 'CREATE TABLE t AS SELECT 1', `${REFUSED}CREATE`],
    ['CREATE VIEW', 'CREATE VIEW v AS SELECT 1', `${REFUSED}CREATE`],
    ['CREATE MACRO', 'CREATE MACRO m(x) AS x + 1', `${REFUSED}CREATE`],
    ['INSERT into a view', 'INSERT INTO telemetry_all SELECT * FROM telemetry_all', `${REFUSED}INSERT`],
    ['UPDATE devices', "UPDATE devices SET owner = 'Mallory'", `${REFUSED}UPDATE`],
    ['DELETE from a view', 'DELETE FROM telemetry', `${REFUSED}DELETE`],
    ['DELETE FROM devices', 'DELETE FROM devices', `${REFUSED}DELETE`],
    ['DROP VIEW telemetry', 'DROP VIEW telemetry', `${REFUSED}DROP`],
    ['two statements', "SELECT 1; COPY (SELECT 'x') TO 'out.csv'", `${REFUSED}2 statements`],
    ['read_csv /etc/passwd', "SELECT * FROM read_csv('/etc/passwd')", OUTSIDE],
    ['read_text a key beside the lake', "SELECT * FROM read_text('{pki}/*.key')", OUTSIDE],
    ['read_csv_auto a key', "SELECT * FROM read_csv_auto('{pki}/device.key')", OUTSIDE],
    ['read_blob a key', "SELECT * FROM read_blob('{pki}/device.key')", OUTSIDE],
    ['read_json a key', "SELECT * FROM read_json('{pki}/device.key')", OUTSIDE],
    ['read_parquet a file beside the lake', "SELECT * FROM read_parquet('{base}/outside.parquet')", OUTSIDE],
    ['a file path as a table', "SELECT * FROM '{base}/outside.parquet'", OUTSIDE],
    ['glob the key directory', "SELECT * FROM glob('{pki}/*')", OUTSIDE],
    ['../ out of the lake', "SELECT * FROM read_text('{lake}/../pki/device.key')", OUTSIDE],
    [
      'a symlink inside the lake',
      "SELECT * FROM read_text('{lake}/curated/telemetry/keys/device.key')",
      OUTSIDE,
    ],
    ['the environment', "SELECT * FROM read_text('/proc/self/environ')", OUTSIDE],
    ['a URL', "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')", OUTSIDE],
    ['SUMMARIZE a key', "SUMMARIZE SELECT * FROM read_text('{pki}/device.key')", OUTSIDE],
    [
      'enable_logging() to files (not stopped by lock_configuration)',
      "SELECT * FROM enable_logging(storage = 'file', storage_path = '{lake}/log')",
      FUNCTION('enable_logging'),
    ],
    [
      'enable_profiling() to a file',
      "SELECT * FROM enable_profiling(save_location = '{lake}/profile.json', format = 'json')",
      FUNCTION('enable_profiling'),
    ],
    [
      'a table function hidden in a subquery',
      "SELECT (SELECT count(*) FROM enable_logging(storage = 'file', storage_path = '{lake}/log'))",
      FUNCTION('enable_logging'),
    ],
    [
      'query() runs SQL text',
      "WITH x AS (SELECT * FROM query('SELECT 1')) SELECT * FROM x",
      FUNCTION('query'),
    ],
    [
      'json_execute_serialized_sql() runs SQL text',
      "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
      FUNCTION('json_execute_serialized_sql'),
    ],
    ['duckdb_secrets()', 'SELECT * FROM duckdb_secrets()', FUNCTION('duckdb_secrets')],
    ['checkpoint()', 'SELECT * FROM checkpoint()', FUNCTION('checkpoint')],
    // DuckDB's getenv is the CLI shell's only: the library has no such function.
    ['getenv', "SELECT getenv('HOME')", 'Scalar Function with name getenv does not exist'],
  ])('%s: refused, nothing touched', async (_label, sql, message) => {
    const run = await query(fill(sql));
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain(SECRET);
    expect(await snapshot(base)).toEqual(before);
  });

  it.each([
    [
      "the README's example",
      "SELECT device_id, date_trunc('hour', ts) AS hour, min(temperature), max(temperature), avg(temperature) FROM telemetry GROUP BY ALL ORDER BY ALL",
      /coffee-pi-a/,
    ],
    [
      'WITH',
      'WITH t AS (SELECT device_id, count(*) AS n FROM telemetry GROUP BY 1) SELECT sum(n) AS n FROM t',
      /^n\n8\n$/,
    ],
    ['EXPLAIN SELECT', 'EXPLAIN SELECT count(*) FROM telemetry', /physical_plan/],
    [
      'a join with devices',
      'SELECT d.owner, count(*) AS n FROM telemetry t JOIN devices d ON d.thing_name = t.device_id GROUP BY 1',
      /^owner\s+n\nAda\s+4\n$/,
    ],
    ['FROM first', 'FROM devices SELECT thing_name', /coffee-pi-a/],
    ['VALUES', 'VALUES (1), (2)', /1\n\s*2\n$/],
    ['DESCRIBE', 'DESCRIBE telemetry', /device_id/],
    ['SHOW TABLES', 'SHOW TABLES', /coffees_all/],
    ['SUMMARIZE', 'SUMMARIZE SELECT temperature FROM telemetry', /temperature/],
    ['a setting, read', "SELECT current_setting('lock_configuration') AS locked", /^locked\ntrue\n$/],
    ['a lake file read directly', "SELECT count(*) AS n FROM read_parquet('{lakefile}')", /^n\n\s*\d+\n$/],
  ])('%s still works', async (_label, sql, output) => {
    const run = await query(fill(sql));
    expect(run.stderr).toMatch(/^coffee-iot query: \d+ rows?\n$/);
    expect(run.stdout).toMatch(output);
    expect(run.code).toBe(0);
    expect(await snapshot(base)).toEqual(before);
  });

  it('refuses to open a lake one of whose Parquet files is a symlink to a key', async () => {
    // DuckDB's glob lists the link with the lake's files, so allowed_paths would let it be read.
    const link = join(lakeDir, 'curated', 'coffees', 'leak.parquet');
    await symlink(join(pkiDir, 'device.key'), link);
    try {
      const run = await query(`SELECT * FROM read_text('${link}')`);
      expect(run.stderr).toContain(
        `LakeFileOutsideError: the lake file ${link} resolves to ${join(pkiDir, 'device.key')}, outside the lake`,
      );
      expect(run.stderr).not.toContain(SECRET);
      expect(run).toMatchObject({ code: 1, stdout: '' });
    } finally {
      await unlink(link);
    }
    expect(await snapshot(base)).toEqual(before);
  });

  it('leaves telemetry with the rows it had, whatever was tried', async () => {
    expect((await query('SELECT count(*) AS n FROM telemetry_all')).stdout).toBe('n\n8\n');
    expect((await query('SELECT count(*) AS n FROM telemetry')).stdout).toBe('n\n8\n');
    expect(await snapshot(base)).toEqual(before);
  });
});
