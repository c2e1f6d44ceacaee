import { mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { CoffeeDatabase } from './coffee-database.js';
import { FileLockedSqliteDialect, fileLock } from './file-locked-sqlite-dialect.js';
import type { Database } from './schema.js';

export interface SqliteOptions {
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. Default 5 s. */
  busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * The local stack's database: one SQLite file (or ':memory:'), WAL so the dashboard can read while
 * the pipeline writes, and a busy timeout so writers in other processes wait instead of failing.
 * Handles on the same file within this process take turns (see file-locked-sqlite-dialect.ts).
 */
export function openSqliteDatabase(path: string, options: SqliteOptions = {}): CoffeeDatabase {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(
    `busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`,
  );
  sqlite.pragma('foreign_keys = ON');
  const config = { database: sqlite };
  const dialect = inMemory
    ? new SqliteDialect(config)
    : new FileLockedSqliteDialect(config, fileLock(realpathSync(path)));
  const db = new Kysely<Database>({ dialect });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}
