import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { LATEST_MIGRATION, MIGRATIONS } from './migrations/index.js';

export interface MigrationReport {
  /** Migrations run by this call, in order (undone ones when migrating down). */
  applied: string[];
  /** The schema version the database is at now (null: empty). */
  current: string | null;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

// Generic over the row types: callers pass their typed Kysely<Database>; migrations themselves
// see Kysely<unknown> so they never depend on today's schema.ts.
function migratorFor<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
  });
}

function appliedBy(result: MigrationResultSet): string[] {
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The newest migration applied to this database, or null for an empty one. */
export async function currentMigration<DB>(db: Kysely<DB>): Promise<string | null> {
  const migrations = await migratorFor(db).getMigrations();
  const executed = migrations.filter((m) => m.executedAt !== undefined);
  return executed.at(-1)?.name ?? null;
}

/**
 * Brings the schema to the newest version. Safe to run concurrently (Kysely takes a lock table)
 * and again and again: a database already at the newest version is left as it is.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationReport> {
  const applied = appliedBy(await migratorFor(db).migrateToLatest());
  return { applied, current: await currentMigration(db) };
}

/** Brings the schema up (or down) to the named version; used by tests of upgrades. */
export async function migrateTo<DB>(db: Kysely<DB>, name: string): Promise<MigrationReport> {
  if (!(name in MIGRATIONS)) {
    throw new MigrationError(`no migration named "${name}"; known: ${Object.keys(MIGRATIONS).join(', ')}`);
  }
  const applied = appliedBy(await migratorFor(db).migrateTo(name));
  // Read back rather than taken from the last migration run: going down, that one is undone.
  return { applied, current: await currentMigration(db) };
}

export { LATEST_MIGRATION };
