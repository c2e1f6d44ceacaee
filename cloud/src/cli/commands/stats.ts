import type { CoffeeDatabase } from '../../db/coffee-database.js';
import { readCoffeeStats } from '../../stats/coffee-stats.js';
import type { CoffeeStatsOptions } from '../../stats/stats-types.js';
import { EXIT_OK, type TextSink } from '../cli-io.js';
import { renderStats } from '../stats-report.js';

/** `stats [--device THING] [--from DAY] [--to DAY] [--latest N] [--json]`. */
export async function runStats(
  database: CoffeeDatabase,
  options: CoffeeStatsOptions,
  json: boolean,
  stdout: TextSink,
): Promise<number> {
  const stats = await readCoffeeStats(database.db, options);
  stdout.write(json ? `${JSON.stringify(stats, null, 2)}\n` : renderStats(stats));
  return EXIT_OK;
}
