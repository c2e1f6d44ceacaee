import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { runQuery } from '../../../cloud/src/cli/commands/query.js';
import { openLocalLake } from '../../../cloud/src/lake/local/index.js';
import { runCli, runCommand } from '../cli/run-cli.js';
import {
  at,
  KNOWN_BATCHES,
  KNOWN_STATS,
  lakeFiles,
  telemetryRecord,
  tempLake,
  textRecord,
} from './local-lake-fixtures.js';

/** `coffee-iot query ARGV` in-process, output captured. */
const query = (argv: string[], io: Partial<CliIo> = {}) => runCommand(runQuery, argv, io);

const STATS = `SELECT device_id, min(temperature) AS min, max(temperature) AS max, count(*) AS count
FROM telemetry GROUP BY device_id ORDER BY device_id`;

describe('coffee-iot query', () => {
  let lakeDir: string;
  let databaseUrl: string;
  let remove: () => Promise<void>;
  let lakeBefore: string[];
  /** Against the known lake and a registry that knows coffee-pi-a. */
  const onLake = (argv: string[]) => query([...argv, '--lake', lakeDir, '--database', databaseUrl]);

  beforeAll(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
    const lake = await openLocalLake(join(lakeDir, 'lake'));
    for (const batch of KNOWN_BATCHES) await lake.ingest(batch.records, batch.arrivedAt);
    // A reading with a NULL-able column set and one with text that CSV has to quote.
    await lake.ingest(
      [
        {
          // On coffee-pi-d's own stream partition: a record's identity is its topic's.
          ...textRecord(
            JSON.stringify({
              type: 'telemetry',
              v: 1,
              deviceId: 'coffee-pi-d',
              bootId: '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
              readings: [
                {
                  seq: 1,
                  ts: '2026-03-05T09:30:00.250Z',
                  temperature: 1,
                  humidity: 2,
                  pressure: 1013.25, // within the Sense HAT's range, so the reading lands
                  pitch: 4,
                  roll: 5,
                  yaw: 6,
                  temperatureCpu: 50.5,
                },
              ],
            }),
          ),
          partitionKey: 'coffee-pi-d',
        },
        telemetryRecord('coffee-pi-e', []), // refused: no readings
      ],
      at('2026-03-05T13:00:00Z'),
    );
    await lake.close();
    lakeDir = join(lakeDir, 'lake');
    databaseUrl = `sqlite:${join(lakeDir, '..', 'registry.sqlite')}`;
    expect((await runCli(['db', 'migrate', '--database', databaseUrl])).code).toBe(0);
    const set = await runCli([
      'devices',
      'set',
      'coffee-pi-a',
      '--owner',
      'Ada, "the" owner',
      '--location',
      'Kitchen',
      '--database',
      databaseUrl,
    ]);
    expect(set.code).toBe(0);
    lakeBefore = await lakeFiles(lakeDir);
  });

  afterAll(async () => {
    // Whatever the tests ran, the lake is as it was.
    expect(await lakeFiles(lakeDir)).toEqual(lakeBefore);
    await remove();
  });

  it('prints an aligned table, numbers right-aligned', async () => {
    expect(await onLake([STATS])).toEqual({
      code: 0,
      stdout: [
        'device_id      min    max  count',
        'coffee-pi-a  19.25     23      4',
        'coffee-pi-b     28  31.75      3',
        'coffee-pi-c   -2.5   -2.5      1',
        'coffee-pi-d      1      1      1',
        '',
      ].join('\n'),
      stderr: 'coffee-iot query: 4 rows\n',
    });
  });

  it('gives the known min, max and count per device as JSON', async () => {
    const run = await onLake([
      STATS.replace('ORDER BY', "HAVING device_id <> 'coffee-pi-d' ORDER BY"),
      '--format',
      'json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(KNOWN_STATS);
  });

  it('shows timestamps readably, NULL as null in the table, and joins the registry', async () => {
    const run = await onLake([
      `SELECT t.device_id, t.ts, t.temperature_cpu, t.temperature_ambient, d.owner
       FROM telemetry t LEFT JOIN devices d ON d.thing_name = t.device_id
       WHERE t.device_id IN ('coffee-pi-a', 'coffee-pi-d') AND t.seq = 1 ORDER BY 1`,
    ]);
    expect(run.stdout).toBe(
      [
        'device_id    ts                       temperature_cpu  temperature_ambient  owner',
        'coffee-pi-a  2026-03-05 09:00:01.000             null                 null  Ada, "the" owner',
        'coffee-pi-d  2026-03-05 09:30:00.250             50.5                 null  null',
        '',
      ].join('\n'),
    );
  });

  it('writes CSV with a header, NULL as an empty field, quoting what needs it', async () => {
    const run = await onLake([
      `SELECT d.thing_name, d.owner, d.model, '' AS empty, t.ts, t.temperature
       FROM devices d JOIN telemetry t ON t.device_id = d.thing_name WHERE t.seq = 4`,
      '--format',
      'csv',
    ]);
    expect(run).toEqual({
      code: 0,
      stdout:
        'thing_name,owner,model,empty,ts,temperature\ncoffee-pi-a,"Ada, ""the"" owner",,"",2026-03-05 09:00:04.000,23\n',
      stderr: 'coffee-iot query: 1 row\n',
    });
  });

  it('writes JSON with ISO-8601 UTC timestamps, integers as numbers and nulls', async () => {
    const run = await onLake([
      `SELECT device_id, seq, ts, ingest_time, temperature_cpu, ingest_hour FROM telemetry WHERE device_id = 'coffee-pi-d'`,
      '--format',
      'json',
    ]);
    expect(run.stdout).toBe(
      '[\n{"device_id":"coffee-pi-d","seq":1,"ts":"2026-03-05T09:30:00.250Z","ingest_time":"2026-03-05T13:00:00.000Z","temperature_cpu":50.5,"ingest_hour":"13"}\n]\n',
    );
    expect(JSON.parse(run.stdout)).toHaveLength(1);
    expect(await onLake(['SELECT 1 AS x WHERE false', '--format', 'json'])).toMatchObject({
      code: 0,
      stdout: '[]\n',
    });
  });

  it('says when the registry is not there yet, and runs with an empty devices table', async () => {
    const run = await query([
      'SELECT count(*) AS devices FROM devices',
      '--lake',
      lakeDir,
      '--database',
      `sqlite:${join(lakeDir, 'nothing-here.sqlite')}`,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('devices\n      0\n');
    expect(run.stderr).toMatch(
      /^coffee-iot query: note: no database at .*nothing-here\.sqlite.*; the devices table is empty\n/,
    );
    expect(existsSync(join(lakeDir, 'nothing-here.sqlite'))).toBe(false);
  });

  it('reads the lake named by $COFFEE_IOT_LAKE_DIR, else .local/lake under the working directory', async () => {
    const fromEnv = await query(['SELECT count(*) AS n FROM telemetry', '--database', databaseUrl], {
      env: { COFFEE_IOT_LAKE_DIR: lakeDir },
    });
    expect(fromEnv).toMatchObject({ code: 0, stdout: 'n\n9\n' });
    const fromCwd = await query(['SELECT count(*) AS n FROM telemetry', '--database', databaseUrl], {
      cwd: join(lakeDir, 'elsewhere'),
    });
    expect(fromCwd.stdout).toBe('n\n0\n');
    expect(fromCwd.stderr).toContain(`no lake at ${join(lakeDir, 'elsewhere', '.local', 'lake')} yet`);
  });

  it('exits 1 with DuckDB’s message on a SQL error', async () => {
    const missing = await onLake(['SELECT * FROM nope']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^coffee-iot query: Catalog Error: Table with name nope does not exist/);
    const syntax = await onLake(['SELEC 1']);
    expect(syntax).toMatchObject({ code: 1, stdout: '' });
    expect(syntax.stderr).toMatch(/^coffee-iot query: Parser Error: syntax error at or near "SELEC"/);
  });

  it.each([
    ["COPY (SELECT * FROM telemetry) TO '{lake}/curated/telemetry/x.parquet'", 'COPY'],
    ["ATTACH '{lake}/x.duckdb' AS x", 'ATTACH'],
    ["EXPORT DATABASE '{lake}/export'", 'EXPORT'],
    ['CREATE TABLE t AS SELECT 1', 'CREATE'],
    ["SET profiling_output = '{lake}/profile.json'", 'SET'],
    ['PRAGMA enable_profiling', 'PRAGMA'],
  ])('refuses %s: the lake is only read', async (sql, type) => {
    const run = await onLake([sql.replaceAll('{lake}', lakeDir)]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `coffee-iot query: refused: coffee-iot query runs one read-only statement (SELECT, WITH, EXPLAIN); got ${type}\n`,
    });
  });

  it.each([
    [['--nope', 'SELECT 1'], /Unknown option '--nope'/],
    [[], /missing the SQL/],
    [['SELECT 1', 'SELECT 2'], /expected one SQL argument, got 2/],
    [['SELECT 1', '--format', 'xml'], /--format must be table, csv, json; got "xml"/],
    [['SELECT 1', '--format', 'csv', '--format', 'json'], /--format is given more than once/],
    [['SELECT 1', '--database', 'postgres://x'], /--database/],
  ])('exits 2 on bad usage: %j', async (argv, message) => {
    const run = await query(argv as string[], { cwd: lakeDir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Run "coffee-iot query --help" for usage.');
  });

  it('prints its usage with --help', async () => {
    const run = await query(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: coffee-iot query "SQL"/);
  });
});
