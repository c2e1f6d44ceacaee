import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { statsSelection } from './stats-options.js';
import {
  queryCupsByHour,
  queryCupsPerDay,
  queryDeviceCounts,
  queryLatest,
  queryOverallCounts,
} from './stats-queries.js';
import { cupsByHourOfDay, cupsPerDay, groupStats, latestCoffee } from './stats-shaping.js';
import type { CoffeeStats, CoffeeStatsOptions } from './stats-types.js';

/**
 * Coffee statistics for the dashboard and the CLI, the same on Aurora MySQL and SQLite.
 *
 * The queries run in one transaction so the parts agree with each other (overall cups equal the
 * per-device sum even while the pipeline writes): InnoDB's repeatable read and SQLite's WAL both
 * give a read transaction one snapshot. Throws InvalidStatsOptionsError for bad options.
 */
export async function readCoffeeStats(
  db: Kysely<Database>,
  options: CoffeeStatsOptions = {},
): Promise<CoffeeStats> {
  const selection = statsSelection(options);
  const read = async (tx: Kysely<Database>): Promise<CoffeeStats> => {
    // One after another: a transaction is one connection, which runs one statement at a time anyway.
    const overall = await queryOverallCounts(tx, selection);
    const devices = await queryDeviceCounts(tx, selection);
    const hours = await queryCupsByHour(tx, selection);
    const days = await queryCupsPerDay(tx, selection);
    const latest = await queryLatest(tx, selection);
    return {
      overall: groupStats(overall),
      perDevice: devices.map((row) => ({ deviceId: row.device_id, ...groupStats(row) })),
      cupsByHourOfDay: cupsByHourOfDay(hours),
      cupsPerDay: cupsPerDay(days),
      latest: latest.map(latestCoffee),
    };
  };
  // Kysely cannot nest transactions: a caller already in one gets its snapshot.
  return db.isTransaction ? read(db) : db.transaction().execute(read);
}
