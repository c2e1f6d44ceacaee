import { sql } from 'kysely';
import type mysql from 'mysql2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CoffeeDatabase,
  DatabaseConnectError,
  DatabaseUnavailableError,
  type MysqlConnectionOptions,
  openMysqlDatabase,
} from '../../../cloud/src/db/index.js';
import { type BuiltPool, ManagedMysqlPool } from '../../../cloud/src/db/managed-mysql-pool.js';
import { builtPool, openMysqlDatabaseWithPool } from '../../../cloud/src/db/mysql-database.js';
import { freePort } from '../harness/free-port.js';
import { type MariaDbConnection, MariaDbServer } from '../harness/mariadb.js';

const IDLE_TIMEOUT_MS = 60_000;

async function connectionId(database: CoffeeDatabase): Promise<number> {
  const result = await sql<{ id: number }>`select connection_id() as id`.execute(database.db);
  return Number(result.rows[0]?.id);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(error)}`);
  return error;
}

describe('the managed MySQL pool', () => {
  let server: MariaDbServer;
  let connection: MariaDbConnection;
  let users = 0;
  const opened: CoffeeDatabase[] = [];

  function options(overrides: Partial<MysqlConnectionOptions> = {}): MysqlConnectionOptions {
    return { ...connection, ssl: false, connectTimeoutMs: 2_000, ...overrides };
  }

  function openWith(pool: ManagedMysqlPool): CoffeeDatabase {
    const database = openMysqlDatabaseWithPool(pool);
    opened.push(database);
    return database;
  }

  beforeAll(async () => {
    server = await MariaDbServer.create();
    await server.start();
    connection = await server.createDatabase();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it('reuses an idle connection, but replaces one idle for longer than the idle timeout', async () => {
    let now = 1_000_000;
    const database = openWith(
      new ManagedMysqlPool({
        build: async () => builtPool(options({ poolSize: 1 })),
        rebuildOnAccessDenied: false,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        now: () => now,
      }),
    );
    const first = await connectionId(database);
    now += IDLE_TIMEOUT_MS;
    expect(await connectionId(database)).toBe(first);
    now += IDLE_TIMEOUT_MS + 1;
    const second = await connectionId(database);
    expect(second).not.toBe(first);
    expect(await connectionId(database)).toBe(second);
  });

  it('names the server it cannot reach, as unavailable', async () => {
    const port = await freePort();
    const database = openMysqlDatabase(options({ port }));
    opened.push(database);
    const error = await rejection(connectionId(database));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toBe(
      `cannot connect to MySQL ${connection.user}@127.0.0.1:${port}/${connection.database}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('reports an unknown database as a connect error, not as a passing outage', async () => {
    const database = openMysqlDatabase(options({ database: 'no_such_database' }));
    opened.push(database);
    const error = await rejection(connectionId(database));
    expect(error).toBeInstanceOf(DatabaseConnectError);
    expect(error.message).toMatch(/no_such_database.*ER_BAD_DB_ERROR/);
  });

  it('does not rebuild on access denied when the credentials cannot change', async () => {
    const build = vi.fn(async () => builtPool(options({ password: 'wrong' })));
    const database = openWith(
      new ManagedMysqlPool({ build, rebuildOnAccessDenied: false, idleTimeoutMs: 1_000 }),
    );
    const error = await rejection(connectionId(database));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(/ER_ACCESS_DENIED_ERROR/);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('after a rotation, lets a transaction on the old pool finish before ending that pool', async () => {
    users += 1;
    const user = await server.createUser(`pool_rotation_${users}`, 'first-password', connection.database);
    let password = 'first-password';
    const built: BuiltPool[] = [];
    const database = openWith(
      new ManagedMysqlPool({
        build: async () => {
          const next = builtPool(options({ ...user, password, poolSize: 2 }));
          built.push(next);
          return next;
        },
        rebuildOnAccessDenied: true,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
      }),
    );
    await sql`create table rotation_${sql.raw(String(users))} (n int)`.execute(database.db);
    const table = sql.raw(`rotation_${users}`);

    let finish!: () => void;
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let inTransaction!: () => void;
    const started = new Promise<void>((resolve) => {
      inTransaction = resolve;
    });
    const transaction = database.db.transaction().execute(async (trx) => {
      await sql`insert into ${table} values (1)`.execute(trx);
      inTransaction();
      await held;
      await sql`insert into ${table} values (2)`.execute(trx);
    });
    await started;

    await server.setPassword(user.user, 'second-password');
    password = 'second-password';
    // The pool's other connection is new: refused, so the pool is rebuilt with the new password.
    expect(await connectionId(database)).toBeGreaterThan(0);
    expect(built).toHaveLength(2);
    const endOld = vi.spyOn(built[0]?.pool as mysql.Pool, 'end');
    expect(endOld).not.toHaveBeenCalled();

    finish();
    await transaction;
    expect(endOld).toHaveBeenCalledTimes(1);
    const rows = await sql<{ n: number }>`select n from ${table} order by n`.execute(database.db);
    expect(rows.rows).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
