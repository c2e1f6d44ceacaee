import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_MIGRATION } from '../../../cloud/src/db/migrate.js';
import { MIGRATIONS } from '../../../cloud/src/db/migrations/index.js';
import { openMysqlDatabase } from '../../../cloud/src/db/mysql-database.js';
import { readCoffeeStats } from '../../../cloud/src/stats/coffee-stats.js';
import { type MariaDbConnection, MariaDbServer } from '../harness/mariadb.js';
import { mariaDbUrl } from '../stats/database-backends.js';
import { insertKnownCoffees } from '../stats/known-coffees.js';
import { runCli } from './run-cli.js';

describe('coffee-iot CLI on MariaDB through a mysql:// URL', () => {
  let server: MariaDbServer;
  let connection: MariaDbConnection;
  let url: string;
  const cli = (argv: string[]) => runCli(argv, { env: { COFFEE_IOT_DATABASE_URL: url } });

  beforeAll(async () => {
    server = await MariaDbServer.create();
    await server.start();
    connection = await server.createDatabase('cli');
    url = mariaDbUrl(connection);
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('migrates, registers devices and reads stats like on SQLite', async () => {
    const { port, database } = connection;
    expect(await cli(['db', 'status'])).toEqual({
      code: 1,
      stdout: `schema: none (empty database)\npending: ${Object.keys(MIGRATIONS).join(', ')}\nrun \`coffee-iot db migrate\` to bring it to ${LATEST_MIGRATION}\n`,
      stderr: `coffee-iot: using mysql coffee@127.0.0.1:${port}/${database} (TLS off) (from COFFEE_IOT_DATABASE_URL)\n`,
    });
    expect(await cli(['devices', 'list'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('the database has no schema yet'),
    });

    // toEqual throughout, so a failure shows the CLI's stderr.
    const using = expect.stringMatching(/^coffee-iot: using mysql [^\n]+\n$/);
    expect(await cli(['db', 'migrate'])).toEqual({
      code: 0,
      stdout: `${Object.keys(MIGRATIONS)
        .map((name) => `applied ${name}\n`)
        .join('')}schema now at ${LATEST_MIGRATION} (the newest)\n`,
      stderr: using,
    });
    expect(await cli(['db', 'migrate'])).toEqual({
      code: 0,
      stdout: `already at ${LATEST_MIGRATION} (the newest): nothing to do\n`,
      stderr: using,
    });

    expect(await cli(['devices', 'set', 'pi-a', '--owner', 'Ada', '--location', 'Lab'])).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^registered device pi-a\n/),
      stderr: using,
    });
    expect(await cli(['devices', 'set', 'pi-a', '--owner', ''])).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^updated device pi-a\n/),
      stderr: using,
    });
    expect(JSON.parse((await cli(['devices', 'list', '--json'])).stdout)).toEqual([
      {
        thingName: 'pi-a',
        owner: null,
        location: 'Lab',
        model: null,
        firstSeenAt: null,
        lastSeenAt: null,
        updatedAt: '2026-03-05T10:00:00.000Z',
      },
    ]);
    expect(await cli(['devices', 'list'])).toEqual({
      code: 0,
      stdout:
        'THING  OWNER  LOCATION  MODEL  FIRST SEEN (UTC)  LAST SEEN (UTC)\npi-a   -      Lab       -      -                 -\n',
      stderr: using,
    });

    const direct = openMysqlDatabase({ ...connection, ssl: false });
    try {
      await insertKnownCoffees(direct.db);
      const expected = await readCoffeeStats(direct.db, { deviceId: 'pi-a' });
      const run = await cli(['stats', '--device', 'pi-a', '--json']);
      expect(run).toEqual({ code: 0, stdout: expect.any(String), stderr: using });
      expect(JSON.parse(run.stdout)).toEqual(expected);
      expect(expected.overall.cups).toBe(6);
    } finally {
      await direct.close();
    }
    expect(await cli(['db', 'status'])).toEqual({
      code: 0,
      stdout: `schema: ${LATEST_MIGRATION} (the newest)\ndevices: 1\ncoffees: 16\n`,
      stderr: using,
    });
  });

  it('reports refused credentials as a failure without echoing the password', async () => {
    const wrong = url.replace(`:${encodeURIComponent(connection.password)}@`, ':not-the-password@');
    const run = await runCli(['db', 'status', '--database', wrong]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/coffee-iot db status: .*Access denied for user 'coffee'/);
    expect(run.stderr).not.toContain('not-the-password');
  });
});
