import type { CoffeeDatabase } from '../db/coffee-database.js';
import { openMysqlDatabase } from '../db/mysql-database.js';
import { openSqliteDatabase } from '../db/sqlite-database.js';
import type { DatabaseTarget } from './database-target.js';
import { type ParseDatabaseUrlOptions, parseDatabaseUrl } from './parse-database-url.js';

export function openDatabaseTarget(target: DatabaseTarget): CoffeeDatabase {
  return target.kind === 'sqlite' ? openSqliteDatabase(target.path) : openMysqlDatabase(target.options);
}

/**
 * Opens the database a URL points to (see parseDatabaseUrl). Async because opening may one day
 * need to be (a MySQL pool connects lazily today); it does not migrate.
 */
export async function openDatabaseFromUrl(
  url: string,
  options?: ParseDatabaseUrlOptions,
): Promise<CoffeeDatabase> {
  return openDatabaseTarget(parseDatabaseUrl(url, options));
}
