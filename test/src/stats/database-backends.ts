import type { CoffeeDatabase } from '../../../cloud/src/db/coffee-database.js';
import { openMysqlDatabase } from '../../../cloud/src/db/mysql-database.js';
import { openSqliteDatabase } from '../../../cloud/src/db/sqlite-database.js';
import { type MariaDbConnection, MariaDbServer } from '../harness/mariadb.js';

/**
 * The databases the stats must agree on. `fresh()` gives an empty, unmigrated database each call;
 * `tearDown()` closes every one of them and stops the server behind them.
 */
export interface DatabaseBackend {
  readonly name: 'sqlite' | 'mariadb';
  setUp(): Promise<void>;
  fresh(): Promise<CoffeeDatabase>;
  tearDown(): Promise<void>;
}

export function sqliteBackend(): DatabaseBackend {
  const opened: CoffeeDatabase[] = [];
  return {
    name: 'sqlite',
    setUp: async () => {},
    fresh: async () => {
      const database = openSqliteDatabase(':memory:');
      opened.push(database);
      return database;
    },
    tearDown: async () => {
      await Promise.all(opened.splice(0).map((database) => database.close()));
    },
  };
}

/** The test server speaks plain TCP on 127.0.0.1. */
export function mariaDbUrl(connection: MariaDbConnection): string {
  const { user, password, host, port, database } = connection;
  return `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${database}?ssl=off`;
}

export function mariaDbBackend(): DatabaseBackend & { connection(): Promise<MariaDbConnection> } {
  let server: MariaDbServer | undefined;
  const opened: CoffeeDatabase[] = [];
  const started = (): MariaDbServer => {
    if (!server) throw new Error('mariaDbBackend: call setUp() first');
    return server;
  };
  return {
    name: 'mariadb',
    setUp: async () => {
      server = await MariaDbServer.create();
      await server.start();
    },
    connection: () => started().createDatabase('stats'),
    fresh: async () => {
      const database = openMysqlDatabase({ ...(await started().createDatabase('stats')), ssl: false });
      opened.push(database);
      return database;
    },
    tearDown: async () => {
      await Promise.all(opened.splice(0).map((database) => database.close()));
      await server?.cleanup();
    },
  };
}
