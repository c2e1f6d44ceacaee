import { type Kysely, MysqlAdapter } from 'kysely';

export type SqlDialectName = 'mysql' | 'sqlite';

/** Which SQL the database speaks, for the few statements that differ (upserts, column types). */
export function dialectOf(db: Kysely<unknown>): SqlDialectName {
  return db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'sqlite';
}
