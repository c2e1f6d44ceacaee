import type { CoffeeDatabase } from '../../db/coffee-database.js';
import { currentMigration, LATEST_MIGRATION, migrateTo, migrateToLatest } from '../../db/migrate.js';
import { EXIT_OK, type TextSink } from '../cli-io.js';

function version(name: string | null): string {
  if (name === null) return 'an empty schema';
  return name === LATEST_MIGRATION ? `${name} (the newest)` : name;
}

/** `db migrate [--to NAME]`: prints each migration run and the version the database is at after. */
export async function runDbMigrate(
  database: CoffeeDatabase,
  to: string | undefined,
  stdout: TextSink,
): Promise<number> {
  const db = database.db;
  const before = await currentMigration(db);
  const report = to === undefined ? await migrateToLatest(db) : await migrateTo(db, to);
  // Read back rather than trust the report: after a downgrade the last migration run is the one removed.
  const after = await currentMigration(db);
  if (report.applied.length === 0) {
    stdout.write(`already at ${version(after)}: nothing to do\n`);
    return EXIT_OK;
  }
  // Names sort in the order migrations apply, so a smaller version after means we went down.
  const down = before !== null && (after === null || after < before);
  for (const name of report.applied) stdout.write(`${down ? 'reverted' : 'applied'} ${name}\n`);
  stdout.write(`schema now at ${version(after)}\n`);
  return EXIT_OK;
}
