import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { CoffeeDatabase } from './coffee-database.js';
import type { Database } from './schema.js';

/**
 * The local stack's database: one SQLite file (or ':memory:'), WAL so the dashboard can read while
 * the pipeline writes, and a busy timeout so concurrent writers wait instead of failing.
 */
export function openSqliteDatabase(path: string): CoffeeDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}
