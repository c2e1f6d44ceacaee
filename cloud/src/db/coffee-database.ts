import type { Kysely } from 'kysely';
import type { SqlDialectName } from './dialect.js';
import type { Database } from './schema.js';

/** An open coffee database, MySQL or SQLite; `close()` ends its pool or file handle. */
export interface CoffeeDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialectName;
  close(): Promise<void>;
}
