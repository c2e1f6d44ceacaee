import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import type { CoffeeDatabase } from '../../../cloud/src/db/coffee-database.js';
import { LATEST_MIGRATION } from '../../../cloud/src/db/migrate.js';
import { MIGRATIONS } from '../../../cloud/src/db/migrations/index.js';
import { openSqliteDatabase } from '../../../cloud/src/db/sqlite-database.js';
import { readCoffeeStats } from '../../../cloud/src/stats/coffee-stats.js';
import { freePort } from '../harness/free-port.js';
import { insertKnownCoffees } from '../stats/known-coffees.js';
import { NOW, runCli } from './run-cli.js';

const FIRST = '0001-coffees-and-devices';
/** Every migration after the first, in order. */
const LATER = Object.keys(MIGRATIONS).slice(1);
const lines = (verb: string, names: readonly string[]) => names.map((name) => `${verb} ${name}\n`).join('');

describe('coffee-iot CLI on SQLite', () => {
  let dir: string;
  let path: string;
  let url: string;
  /** `coffee-iot --database URL ARGV` */
  const cli = (argv: string[], io: Partial<CliIo> = {}) => runCli([...argv, '--database', url], io);

  async function withDatabase<T>(use: (database: CoffeeDatabase) => Promise<T>): Promise<T> {
    const database = openSqliteDatabase(path);
    try {
      return await use(database);
    } finally {
      await database.close();
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-cli-'));
    path = join(dir, 'coffee.sqlite');
    url = `sqlite:${path}`;
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('db migrate and db status', () => {
    it('migrates a new database, then finds nothing to do, and status reports it current', async () => {
      expect(await cli(['db', 'migrate'])).toEqual({
        code: 0,
        stdout: `${lines('applied', [FIRST, ...LATER])}schema now at ${LATEST_MIGRATION} (the newest)\n`,
        stderr: `coffee-iot: using sqlite ${path} (from --database)\n`,
      });
      expect(await cli(['db', 'migrate'])).toMatchObject({
        code: 0,
        stdout: `already at ${LATEST_MIGRATION} (the newest): nothing to do\n`,
      });
      expect(await cli(['db', 'status'])).toMatchObject({
        code: 0,
        stdout: `schema: ${LATEST_MIGRATION} (the newest)\ndevices: 0\ncoffees: 0\n`,
      });
    });

    it('migrates to a named version, down as well as up, and status lists what is pending', async () => {
      expect(await cli(['db', 'migrate', '--to', FIRST])).toMatchObject({
        code: 0,
        stdout: `applied ${FIRST}\nschema now at ${FIRST}\n`,
      });
      expect(await cli(['db', 'status'])).toMatchObject({
        code: 1,
        stdout: `schema: ${FIRST}\npending: ${LATER.join(', ')}\nrun \`coffee-iot db migrate\` to bring it to ${LATEST_MIGRATION}\n`,
      });
      await cli(['db', 'migrate']);
      expect(await cli(['db', 'migrate', '--to', FIRST])).toMatchObject({
        code: 0,
        stdout: `${lines('reverted', [...LATER].reverse())}schema now at ${FIRST}\n`,
      });
    });

    it('status on an empty database says so and exits 1', async () => {
      await withDatabase(async () => {});
      expect(await cli(['db', 'status'])).toMatchObject({
        code: 1,
        stdout: `schema: none (empty database)\npending: ${[FIRST, ...LATER].join(', ')}\nrun \`coffee-iot db migrate\` to bring it to ${LATEST_MIGRATION}\n`,
      });
    });

    it('counts devices and coffees once current', async () => {
      await cli(['db', 'migrate']);
      await withDatabase((database) => insertKnownCoffees(database.db));
      await cli(['devices', 'set', 'pi-a', '--owner', 'Ada']);
      expect((await cli(['db', 'status'])).stdout).toBe(
        `schema: ${LATEST_MIGRATION} (the newest)\ndevices: 1\ncoffees: 16\n`,
      );
    });
  });

  describe('commands other than db migrate leave the schema alone', () => {
    it.each([[['devices', 'list']], [['devices', 'set', 'pi-a', '--owner', 'Ada']], [['stats']]])(
      '%j on an empty database says to migrate first',
      async (argv) => {
        await withDatabase(async () => {});
        expect(await cli(argv)).toEqual({
          code: 1,
          stdout: '',
          stderr:
            `coffee-iot: using sqlite ${path} (from --database)\n` +
            `coffee-iot ${argv
              .slice(0, 2)
              .join(' ')
              .replace(/ pi-a$/, '')}: the database has no schema yet; ` +
            `this coffee-iot needs ${LATEST_MIGRATION}: run \`coffee-iot db migrate\` first\n`,
        });
        expect((await cli(['db', 'status'])).stdout).toContain('schema: none');
      },
    );

    it('names an older schema', async () => {
      await cli(['db', 'migrate', '--to', FIRST]);
      const run = await cli(['devices', 'list']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `the database has schema ${FIRST}; this coffee-iot needs ${LATEST_MIGRATION}: run \`coffee-iot db migrate\` first`,
      );
    });

    it('does not create a missing SQLite file', async () => {
      expect(await cli(['devices', 'list'])).toMatchObject({
        code: 1,
        stderr: expect.stringContaining(
          `no database at ${path}: run \`coffee-iot db migrate\` to create it, or give --database`,
        ),
      });
      expect(existsSync(path)).toBe(false);
    });
  });

  describe('devices', () => {
    beforeEach(async () => {
      await cli(['db', 'migrate']);
    });

    it('set registers a device, then edits it; "" clears a field and the others stay', async () => {
      expect(
        await cli(['devices', 'set', 'pi-a', '--owner', 'Ada Lovelace', '--location', 'Kitchen 2']),
      ).toEqual({
        code: 0,
        stdout:
          'registered device pi-a\n' +
          'THING  OWNER         LOCATION   MODEL  FIRST SEEN (UTC)  LAST SEEN (UTC)\n' +
          'pi-a   Ada Lovelace  Kitchen 2  -      -                 -\n',
        stderr: `coffee-iot: using sqlite ${path} (from --database)\n`,
      });
      const later = new Date('2026-03-06T11:00:00.000Z');
      expect(
        await cli(['devices', 'set', 'pi-a', '--location', '', '--model', 'Gaggia Classic'], {
          now: () => later,
        }),
      ).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^updated device pi-a\n/),
      });
      expect(JSON.parse((await cli(['devices', 'list', '--json'])).stdout)).toEqual([
        {
          thingName: 'pi-a',
          owner: 'Ada Lovelace',
          location: null,
          model: 'Gaggia Classic',
          firstSeenAt: null,
          lastSeenAt: null,
          updatedAt: later.toISOString(),
        },
      ]);
    });

    it('list prints an aligned table by thing name, with seen times in UTC', async () => {
      await withDatabase((database) =>
        database.db
          .insertInto('devices')
          .values({
            thing_name: 'coffee-pi-01',
            owner: null,
            location: 'Lab',
            model: null,
            first_seen_at: '2026-03-01 07:05:02.000',
            last_seen_at: '2026-03-04 16:45:59.123',
            updated_at: '2026-03-04 16:45:59.123',
          })
          .execute(),
      );
      await cli(['devices', 'set', 'pi-b', '--owner', 'Grace', '--model', 'Rancilio Silvia']);
      await cli(['devices', 'set', 'a-pi', '--location', 'Front desk']);
      expect(await cli(['devices', 'list'])).toMatchObject({
        code: 0,
        stdout:
          'THING         OWNER  LOCATION    MODEL            FIRST SEEN (UTC)     LAST SEEN (UTC)\n' +
          'a-pi          -      Front desk  -                -                    -\n' +
          'coffee-pi-01  -      Lab         -                2026-03-01 07:05:02  2026-03-04 16:45:59\n' +
          'pi-b          Grace  -           Rancilio Silvia  -                    -\n',
      });
      const json = JSON.parse((await cli(['devices', 'list', '--json'])).stdout) as { thingName: string }[];
      expect(json.map((device) => device.thingName)).toEqual(['a-pi', 'coffee-pi-01', 'pi-b']);
      expect(json[1]).toEqual({
        thingName: 'coffee-pi-01',
        owner: null,
        location: 'Lab',
        model: null,
        firstSeenAt: '2026-03-01T07:05:02.000Z',
        lastSeenAt: '2026-03-04T16:45:59.123Z',
        updatedAt: '2026-03-04T16:45:59.123Z',
      });
    });

    it('list says when there are no devices, and --json gives []', async () => {
      expect((await cli(['devices', 'list'])).stdout).toBe('no devices registered\n');
      expect((await cli(['devices', 'list', '--json'])).stdout).toBe('[]\n');
    });

    it('keeps a newline in a field from breaking the table', async () => {
      await cli(['devices', 'set', 'pi-a', '--owner', 'Ada\nLovelace']);
      expect((await cli(['devices', 'list'])).stdout.split('\n')[1]).toBe(
        'pi-a   Ada Lovelace  -         -      -                 -',
      );
    });

    it('refuses a field the repository cannot store, as a usage error', async () => {
      const run = await cli(['devices', 'set', 'pi-a', '--owner', 'x'.repeat(201)]);
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toContain('owner must be at most 200 characters');
      expect(run.stderr).toContain('Run "coffee-iot devices set --help" for usage.');
      expect((await cli(['devices', 'list'])).stdout).toBe('no devices registered\n');
    });
  });

  describe('stats', () => {
    beforeEach(async () => {
      await cli(['db', 'migrate']);
      await withDatabase((database) => insertKnownCoffees(database.db));
    });

    it('--json prints exactly what readCoffeeStats reads, with the filters passed on', async () => {
      const options = { deviceId: 'pi-b', fromDay: '2026-03-02', toDay: '2026-03-03', latest: 2 };
      const expected = await withDatabase((database) => readCoffeeStats(database.db, options));
      const run = await cli([
        'stats',
        '--json',
        '--device',
        'pi-b',
        '--from',
        '2026-03-02',
        '--to',
        '2026-03-03',
        '--latest',
        '2',
      ]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(expected);
      expect(expected.overall.cups).toBe(4);
      expect(expected.latest).toHaveLength(2);
    });

    it('prints rates over known cups, per device and overall, with hours, days and the latest coffees', async () => {
      const run = await cli(['stats', '--latest', '1']);
      expect(run.code).toBe(0);
      const lines = run.stdout.split('\n');
      expect(lines.slice(0, 6)).toEqual([
        'Cups and attributes (a rate is over the cups where the analyzer could tell):',
        'DEVICE  CUPS  ANALYZED     PERSON      SMILE  EYEGLASSES  SUNGLASSES     BEARD  MUSTACHE',
        'pi-a       6         5   80% of 5   50% of 4    33% of 3    33% of 3  33% of 3  33% of 3',
        'pi-b       6         5  100% of 5   80% of 5    25% of 4     0% of 4  50% of 4  50% of 4',
        'pi-c       4         3  100% of 3   67% of 3    50% of 2     0% of 2   0% of 2   0% of 2',
        'all       16        13  92% of 13  67% of 12    33% of 9    11% of 9  33% of 9  33% of 9',
      ]);
      expect(lines).toContain('07:00     6  ########################################');
      expect(lines).toContain('06:00     0');
      expect(lines).toContain('2026-03-02     6  ########################################');
      expect(run.stdout).toContain('Latest 1 coffees:');
      expect(run.stdout).toMatch(/\n2026-03-03 23:59:59 {2}pi-a {4}analyzed {2}yes {5}no {5}no {10}yes /);
    });

    it('shows unknown attributes as "?" and says when a selection has no coffees', async () => {
      const run = await cli(['stats', '--device', 'pi-c', '--latest', '4']);
      expect(run.stdout).toMatch(
        /pi-c {4}unanalyzable {2}\? {7}\? {6}\? {11}\? {11}\? {6}\? {9}photos\/pi-c\/\S+ {2}not a JPEG\n/,
      );
      expect((await cli(['stats', '--device', 'pi-z'])).stdout).toBe('no coffees in this selection\n');
    });
  });

  describe('usage errors exit 2, name the problem and touch no database', () => {
    it.each([
      [[], 'missing command (db, devices, stats or help)', ''],
      [['brew'], 'unknown command "brew" (expected db, devices, stats or help)', ''],
      [['db'], '"db" needs a subcommand: migrate or status', ' db'],
      [['db', 'frobnicate'], 'unknown command "db frobnicate" (db has: migrate, status)', ''],
      [['devices', 'list', '--owner', 'x'], '--owner does not apply to "devices list"', ' devices list'],
      [['db', 'status', 'extra'], 'unexpected arguments: extra', ' db status'],
      [['devices', 'set'], "devices set needs a THING (the device's thing name)", ' devices set'],
      [
        ['devices', 'set', 'pi-a'],
        'devices set needs at least one of --owner, --location, --model',
        ' devices set',
      ],
      [
        ['devices', 'set', 'pi a!', '--owner', 'x'],
        'THING "pi a!" is not a thing name (1-128 letters, digits, colons, underscores or hyphens)',
        ' devices set',
      ],
      [['stats', '--latest', 'lots'], '--latest must be a whole number, got "lots"', ' stats'],
      [
        ['stats', '--from', '2026-3-1', '--to', '2026-02-30'],
        'invalid stats options: --from must be a UTC day as yyyy-mm-dd, got "2026-3-1"; --to must be a UTC day as yyyy-mm-dd, got "2026-02-30"',
        ' stats',
      ],
      [
        ['stats', '--from', '2026-03-03', '--to', '2026-03-01'],
        'invalid stats options: --from (2026-03-03) is after --to (2026-03-01)',
        ' stats',
      ],
      [['stats', '--json', '--json'], '--json is given more than once', ''],
      [
        ['db', 'migrate', '--to', '0009-nope'],
        `--to: no migration named "0009-nope" (known: ${[FIRST, ...LATER].join(', ')})`,
        ' db migrate',
      ],
      [
        ['db', 'status', '--db-secret', 'coffee', '--database', 'sqlite:x.sqlite'],
        'give either --database or --db-secret, not both',
        ' db status',
      ],
      [
        ['db', 'status', '--db-host', 'proxy.example.com'],
        '--db-host applies only with --db-secret',
        ' db status',
      ],
      [['db', 'status', '--bogus'], "Unknown option '--bogus'", ''],
      [['devices', 'set', 'pi-a', '--owner'], "Option '--owner <value>' argument missing", ''],
    ])('%j', async (argv, message, help) => {
      const run = await runCli(argv, { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`coffee-iot: ${message}`);
      expect(run.stderr).toContain(`Run "coffee-iot${help} --help" for usage.\n`);
      expect(existsSync(join(dir, '.local'))).toBe(false);
    });
  });

  describe('help', () => {
    it.each([
      [['--help'], 'Usage: coffee-iot COMMAND [options]'],
      [['help'], 'Usage: coffee-iot COMMAND [options]'],
      [['db', '--help'], 'Usage: coffee-iot db migrate [--to NAME] [options]\n       coffee-iot db status'],
      [['db', 'migrate', '-h'], `the newest is ${LATEST_MIGRATION}`],
      [['help', 'devices', 'set'], 'Usage: coffee-iot devices set THING'],
      [
        ['stats', '--help', '--device', 'pi-a'],
        '--latest N                how many latest coffees to list (default 10)',
      ],
    ])('%j', async (argv, text) => {
      const run = await runCli(argv, { cwd: dir });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain(text);
      expect(run.stdout).toContain('--database URL');
      expect(existsSync(join(dir, '.local'))).toBe(false);
    });

    it('has no help for something that is not a command', async () => {
      expect(await runCli(['help', 'stats', 'now'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('no help for "stats now"'),
      });
    });
  });

  describe('choosing the database', () => {
    it('uses the local stack file under the working directory by default', async () => {
      const run = await runCli(['db', 'migrate'], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stderr).toBe(
        `coffee-iot: using sqlite ${join(dir, '.local', 'coffee-iot.sqlite')} (the default)\n`,
      );
      expect(existsSync(join(dir, '.local', 'coffee-iot.sqlite'))).toBe(true);
    });

    it('takes COFFEE_IOT_DATABASE_URL, and --database over it', async () => {
      const env = { COFFEE_IOT_DATABASE_URL: 'sqlite:from-env.sqlite' };
      expect((await runCli(['db', 'migrate'], { cwd: dir, env })).stderr).toBe(
        `coffee-iot: using sqlite ${join(dir, 'from-env.sqlite')} (from COFFEE_IOT_DATABASE_URL)\n`,
      );
      expect((await runCli(['db', 'migrate', '--database', url], { cwd: dir, env })).stderr).toBe(
        `coffee-iot: using sqlite ${path} (from --database)\n`,
      );
    });

    it('rejects a bad URL as a usage error naming where it came from, never showing the password', async () => {
      const flag = await runCli(['db', 'status', '--database', 'postgres://coffee:hunter2@db/coffee']);
      expect(flag).toMatchObject({ code: 2, stdout: '' });
      expect(flag.stderr).toContain('coffee-iot: --database: unsupported database URL scheme "postgres:"');
      const env = await runCli(['stats'], {
        env: { COFFEE_IOT_DATABASE_URL: 'mysql://coffee:hunter2@db.example.com/coffee' },
      });
      expect(env).toMatchObject({ code: 2, stdout: '' });
      expect(env.stderr).toContain(
        'coffee-iot: COFFEE_IOT_DATABASE_URL: mysql URL: say how to secure the connection to db.example.com',
      );
      expect(flag.stderr + env.stderr).not.toContain('hunter2');
    });

    it('reports an unreachable MySQL server as a failure, without the password', async () => {
      const port = await freePort();
      const run = await runCli([
        'db',
        'status',
        '--database',
        `mysql://coffee:hunter2@127.0.0.1:${port}/coffee`,
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `coffee-iot: using mysql coffee@127.0.0.1:${port}/coffee (TLS off) (from --database)\n`,
      );
      expect(run.stderr).toMatch(/coffee-iot db status: .*ECONNREFUSED/);
      expect(run.stderr).not.toContain('hunter2');
    });

    it('opens Aurora through --db-secret with the proxy host, TLS against the RDS CA', async () => {
      const openDatabaseFromSecret = vi.fn(async () => openSqliteDatabase(path));
      await cli(['db', 'migrate']);
      const run = await runCli(
        [
          'db',
          'status',
          '--db-secret',
          'arn:aws:secretsmanager:eu-west-1:123:secret:coffee-db',
          '--db-host',
          'proxy.example.com',
        ],
        { openDatabaseFromSecret },
      );
      expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining(`schema: ${LATEST_MIGRATION}`) });
      expect(run.stderr).toBe(
        'coffee-iot: using mysql from secret arn:aws:secretsmanager:eu-west-1:123:secret:coffee-db via proxy.example.com (TLS: RDS CA)\n',
      );
      expect(openDatabaseFromSecret).toHaveBeenCalledExactlyOnceWith({
        secretId: 'arn:aws:secretsmanager:eu-west-1:123:secret:coffee-db',
        hostOverride: 'proxy.example.com',
        databaseOverride: undefined,
      });
    });
  });

  it('uses the injected clock for updated times', async () => {
    await cli(['db', 'migrate']);
    await cli(['devices', 'set', 'pi-a', '--owner', 'Ada']);
    expect(JSON.parse((await cli(['devices', 'list', '--json'])).stdout)[0].updatedAt).toBe(
      NOW.toISOString(),
    );
  });
});
