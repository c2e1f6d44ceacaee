import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import { currentMigration, LATEST_MIGRATION, MigrationError, migrateTo } from '../db/migrate.js';
import { MIGRATIONS } from '../db/migrations/index.js';
import { openSqliteDatabase } from '../db/sqlite-database.js';
import { handleSchemaResourceEvent, SCHEMA_RESOURCE_ID } from './schema-resource.js';

describe('handleSchemaResourceEvent', () => {
  let dir: string;
  let path: string;
  let opened: number;
  let closed: number;

  /** Opens the test file the way the handler opens Aurora: a fresh connection per event. */
  const connect = async (): Promise<CoffeeDatabase> => {
    opened += 1;
    const database = openSqliteDatabase(path);
    return {
      ...database,
      close: async () => {
        closed += 1;
        await database.close();
      },
    };
  };

  async function withDatabase<T>(use: (database: CoffeeDatabase) => Promise<T>): Promise<T> {
    const database = openSqliteDatabase(path);
    try {
      return await use(database);
    } finally {
      await database.close();
    }
  }

  const addDevice = (database: CoffeeDatabase) =>
    database.db
      .insertInto('devices')
      .values({ thing_name: 'pi-a', owner: 'Ada', updated_at: '2026-03-01 10:00:00.000' })
      .execute();
  const deviceNames = (database: CoffeeDatabase) =>
    database.db.selectFrom('devices').select('thing_name').execute();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-schema-resource-'));
    path = join(dir, 'coffee.sqlite');
    opened = 0;
    closed = 0;
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('Create on an empty database migrates to the newest schema and reports its version', async () => {
    const outcome = await handleSchemaResourceEvent({ RequestType: 'Create' }, connect);
    expect(outcome).toEqual({
      response: { PhysicalResourceId: SCHEMA_RESOURCE_ID, Data: { Version: LATEST_MIGRATION } },
      applied: Object.keys(MIGRATIONS),
    });
    expect(await withDatabase((database) => currentMigration(database.db))).toBe(LATEST_MIGRATION);
    expect({ opened, closed }).toEqual({ opened: 1, closed: 1 });
  });

  it('Update on a current database changes nothing and keeps the same physical id', async () => {
    await handleSchemaResourceEvent({ RequestType: 'Create' }, connect);
    await withDatabase(addDevice);
    const outcome = await handleSchemaResourceEvent(
      { RequestType: 'Update', PhysicalResourceId: SCHEMA_RESOURCE_ID },
      connect,
    );
    expect(outcome).toEqual({
      response: { PhysicalResourceId: SCHEMA_RESOURCE_ID, Data: { Version: LATEST_MIGRATION } },
      applied: [],
    });
    expect(await withDatabase(deviceNames)).toEqual([{ thing_name: 'pi-a' }]);
  });

  it('Update on an older schema applies what is missing, keeping the rows', async () => {
    await withDatabase(async (database) => {
      await migrateTo(database.db, '0001-coffees-and-devices');
      await addDevice(database);
    });
    const outcome = await handleSchemaResourceEvent(
      { RequestType: 'Update', PhysicalResourceId: SCHEMA_RESOURCE_ID },
      connect,
    );
    expect(outcome.applied).toEqual(Object.keys(MIGRATIONS).slice(1));
    expect(outcome.response.Data).toEqual({ Version: LATEST_MIGRATION });
    expect(await withDatabase(deviceNames)).toEqual([{ thing_name: 'pi-a' }]);
  });

  it('Delete leaves the database alone and does not even connect', async () => {
    await handleSchemaResourceEvent({ RequestType: 'Create' }, connect);
    await withDatabase(addDevice);
    opened = 0;
    const outcome = await handleSchemaResourceEvent(
      { RequestType: 'Delete', PhysicalResourceId: SCHEMA_RESOURCE_ID },
      connect,
    );
    expect(outcome).toEqual({ response: { PhysicalResourceId: SCHEMA_RESOURCE_ID }, applied: [] });
    expect(opened).toBe(0);
    expect(await withDatabase(deviceNames)).toEqual([{ thing_name: 'pi-a' }]);
    expect(await withDatabase((database) => currentMigration(database.db))).toBe(LATEST_MIGRATION);
  });

  it('fails the deploy when a migration fails, and still closes the connection', async () => {
    // A table in the way makes 0001 fail, as a hand-made change on the real database would.
    await withDatabase((database) => sql`create table devices (x integer)`.execute(database.db));
    await expect(handleSchemaResourceEvent({ RequestType: 'Create' }, connect)).rejects.toThrow(
      MigrationError,
    );
    expect({ opened, closed }).toEqual({ opened: 1, closed: 1 });
  });
});
