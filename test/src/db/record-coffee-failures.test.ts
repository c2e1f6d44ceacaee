import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unavailableAsError } from '../../../cloud/src/db/database-errors.js';
import {
  type CoffeeDatabase,
  createCoffeeRepository,
  DatabaseUnavailableError,
  migrateToLatest,
  openSqliteDatabase,
} from '../../../cloud/src/db/index.js';
import { sampleCoffeeRecord } from '../../../cloud/src/testing/coffee-fixtures.js';

function driverError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

/** Fails the next `count` inserts into coffees with `error`, before they reach the database. */
class FailCoffeeInserts implements KyselyPlugin {
  attempts = 0;

  constructor(
    private count: number,
    private readonly error: () => Error,
  ) {}

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'coffees') {
      this.attempts += 1;
      if (this.count > 0) {
        this.count -= 1;
        throw this.error();
      }
    }
    return node;
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

describe('recordCoffee when the database fails', () => {
  let dir: string;
  let database: CoffeeDatabase;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-record-'));
    database = openSqliteDatabase(join(dir, 'coffee.db'));
    await migrateToLatest(database.db);
  });

  afterEach(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  function withPlugin(plugin: KyselyPlugin): CoffeeDatabase {
    return { ...database, db: database.db.withPlugin(plugin) };
  }

  const deadlock = () =>
    driverError('ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock; try restarting transaction', {
      errno: 1213,
    });

  it('runs a transaction InnoDB chose as deadlock victim again', async () => {
    const plugin = new FailCoffeeInserts(2, deadlock);
    const record = sampleCoffeeRecord();
    expect(await createCoffeeRepository(withPlugin(plugin)).recordCoffee({ record, faceDetails: null })).toBe(
      'inserted',
    );
    expect(plugin.attempts).toBe(3);
    expect(await createCoffeeRepository(database).findByPhotoKey(record.photoKey)).not.toBeNull();
  });

  it('gives up after three deadlocks, as unavailable, with the deadlock as cause', async () => {
    const plugin = new FailCoffeeInserts(3, deadlock);
    const record = sampleCoffeeRecord();
    const error = await createCoffeeRepository(withPlugin(plugin))
      .recordCoffee({ record, faceDetails: null })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toBe(
      `recordCoffee ${record.photoKey}: database unavailable: ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction`,
    );
    expect((error as Error).cause).toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(plugin.attempts).toBe(3);
  });

  it('does not mistake another unique violation for a duplicate photo', async () => {
    const violation = () =>
      driverError('ER_DUP_ENTRY', "Duplicate entry 'x' for key 'coffees_event_id'", { errno: 1062 });
    const error = await createCoffeeRepository(withPlugin(new FailCoffeeInserts(1, violation)))
      .recordCoffee({ record: sampleCoffeeRecord(), faceDetails: null })
      .catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/coffees_event_id/);
  });
});

describe('which failures mean the database is unavailable', () => {
  const unavailable: [string, Error][] = [
    ['connection refused', driverError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:3306')],
    [
      'connection lost',
      driverError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'),
    ],
    ['time-out', driverError('ETIMEDOUT', 'connect ETIMEDOUT')],
    ['server shutting down', driverError('ER_SERVER_SHUTDOWN', 'Server shutdown in progress')],
    ['Aurora failover (read-only writer)', driverError('ER_OPTION_PREVENTS_STATEMENT', 'read-only')],
    ['a fatal mysql2 error', driverError('UNKNOWN', 'broken packet', { fatal: true })],
    ['a closed pool', new Error('Pool is closed.')],
    ['SQLite locked by another process', driverError('SQLITE_BUSY', 'database is locked')],
    ['SQLite I/O error', driverError('SQLITE_IOERR_WRITE', 'disk I/O error')],
    ['a closed SQLite handle', new TypeError('The database connection is not open')],
    ['a destroyed Kysely instance', new Error('driver has already been destroyed')],
  ];
  const programming: [string, Error][] = [
    ['bad SQL', driverError('ER_PARSE_ERROR', 'You have an error in your SQL syntax')],
    ['a missing table', driverError('ER_NO_SUCH_TABLE', "Table 'coffee.coffees' doesn't exist")],
    ['data too long', driverError('ER_DATA_TOO_LONG', "Data too long for column 'reason' at row 1")],
    ['a NOT NULL violation', driverError('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
  ];

  for (const [name, error] of unavailable) {
    it(`${name} → DatabaseUnavailableError with the driver error as cause`, async () => {
      const thrown = await unavailableAsError('op', () => Promise.reject(error)).catch(
        (caught: unknown) => caught,
      );
      expect(thrown).toBeInstanceOf(DatabaseUnavailableError);
      expect((thrown as Error).cause).toBe(error);
    });
  }

  for (const [name, error] of programming) {
    it(`${name} → let through as it is`, async () => {
      await expect(unavailableAsError('op', () => Promise.reject(error))).rejects.toBe(error);
    });
  }
});
