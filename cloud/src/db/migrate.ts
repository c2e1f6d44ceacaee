import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { LATEST_MIGRATION, MIGRATIONS } from './migrations/index.js';

export interface MigrationReport {
  /** Migrations run by this call, in order. */
  applied: string[];
  /** The schema version the database is at now (null: empty). */
  current: string | null;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

function migratorFor(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => ({ ...MIGRATIONS }) } });
}

function reportOf(result: MigrationResultSet, before: string | null): MigrationReport {
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
  }
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const current = applied.length > 0 ? (applied.at(-1) ?? before) : before;
  return { applied, current };
}

/** The newest migration applied to this database, or null for an empty one. */
export async function currentMigration(db: Kysely<unknown>): Promise<string | null> {
  const migrations = await migratorFor(db).getMigrations();
  const executed = migrations.filter((m) => m.executedAt !== undefined);
  return executed.at(-1)?.name ?? null;
}

/**
 * Brings the schema to the newest version. Safe to run concurrently (Kysely takes a lock table)
 * and again and again: a database already at the newest version is left as it is.
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationReport> {
  const before = await currentMigration(db);
  return reportOf(await migratorFor(db).migrateToLatest(), before);
}

/** Brings the schema up (or down) to the named version; used by tests of upgrades. */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<MigrationReport> {
  if (!(name in MIGRATIONS)) {
    throw new MigrationError(`no migration named "${name}"; known: ${Object.keys(MIGRATIONS).join(', ')}`);
  }
  const before = await currentMigration(db);
  return reportOf(await migratorFor(db).migrateTo(name), before);
}

export { LATEST_MIGRATION };
