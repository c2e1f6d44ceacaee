import type { CoffeeDatabase } from '../db/coffee-database.js';
import { currentMigration, LATEST_MIGRATION } from '../db/migrate.js';
import { CommandFailedError } from './cli-errors.js';

/**
 * Only `db migrate` changes the schema: a CLI pointed at production must not alter it as a side
 * effect of listing devices. Every other command checks the schema first and says what to run.
 */
export async function requireCurrentSchema(database: CoffeeDatabase): Promise<void> {
  const current = await currentMigration(database.db);
  if (current === LATEST_MIGRATION) return;
  const state = current === null ? 'has no schema yet' : `has schema ${current}`;
  throw new CommandFailedError(
    `the database ${state}; this coffee-iot needs ${LATEST_MIGRATION}: run \`coffee-iot db migrate\` first`,
  );
}
