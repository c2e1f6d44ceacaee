import type { CoffeeDatabase } from '../../db/coffee-database.js';
import { currentMigration, LATEST_MIGRATION } from '../../db/migrate.js';
import { MIGRATIONS } from '../../db/migrations/index.js';
import { toCount } from '../../stats/stats-shaping.js';
import { EXIT_FAILURE, EXIT_OK, type TextSink } from '../cli-io.js';

async function rowCount(database: CoffeeDatabase, table: 'devices' | 'coffees'): Promise<number> {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('rows'))
    .executeTakeFirstOrThrow();
  return toCount(row.rows, `${table} rows`);
}

/** `db status`: exit 0 when the schema is the newest this coffee-iot knows, 1 otherwise (for scripts). */
export async function runDbStatus(database: CoffeeDatabase, stdout: TextSink): Promise<number> {
  const current = await currentMigration(database.db);
  // Names sort in the order migrations apply.
  const pending = Object.keys(MIGRATIONS).filter((name) => current === null || name > current);
  if (pending.length === 0) {
    stdout.write(`schema: ${current} (the newest)\n`);
    stdout.write(`devices: ${await rowCount(database, 'devices')}\n`);
    stdout.write(`coffees: ${await rowCount(database, 'coffees')}\n`);
    return EXIT_OK;
  }
  stdout.write(`schema: ${current ?? 'none (empty database)'}\n`);
  stdout.write(`pending: ${pending.join(', ')}\n`);
  stdout.write(`run \`coffee-iot db migrate\` to bring it to ${LATEST_MIGRATION}\n`);
  return EXIT_FAILURE;
}
