import type { ExpressionBuilder, Kysely, SelectQueryBuilder } from 'kysely';
import { ATTRIBUTE_COLUMNS as STORED_ATTRIBUTE_COLUMNS } from '../db/coffee-row.js';
import type { Database } from '../db/schema.js';
import type { StatsSelection } from './stats-options.js';

/**
 * The stats' SQL. Every statement here must run unchanged on MySQL and SQLite: grouping is on the
 * stored coffee_day / coffee_hour columns (no date functions, which differ between the two), and
 * counting uses COUNT and SUM(CASE …), which both speak. The drivers return those counts as
 * numbers, bigints or (MySQL SUM → DECIMAL) strings: stats-shaping.ts normalises them.
 */

/** GroupStats attribute → the 0/1/null flag column behind it. */
export const ATTRIBUTE_COLUMNS = {
  withPerson: 'person_present',
  smile: 'smile',
  eyeglasses: 'eyeglasses',
  sunglasses: 'sunglasses',
  beard: 'beard',
  mustache: 'mustache',
} as const;

export type StatsAttribute = keyof typeof ATTRIBUTE_COLUMNS;
type FlagColumn = (typeof ATTRIBUTE_COLUMNS)[StatsAttribute];

/** A count as the driver returned it; see toCount. */
export type RawCount = unknown;
/** cups, analyzed, and `<column>_known` / `<column>_yes` for each flag column. */
export type RawGroupCounts = Record<string, RawCount>;

type CoffeesQuery<O> = SelectQueryBuilder<Database, 'coffees', O>;

function selected<O>(query: CoffeesQuery<O>, selection: StatsSelection): CoffeesQuery<O> {
  let narrowed = query;
  if (selection.deviceId !== undefined) narrowed = narrowed.where('device_id', '=', selection.deviceId);
  // yyyy-mm-dd compares correctly as text, on both databases.
  if (selection.fromDay !== undefined) narrowed = narrowed.where('coffee_day', '>=', selection.fromDay);
  if (selection.toDay !== undefined) narrowed = narrowed.where('coffee_day', '<=', selection.toDay);
  return narrowed;
}

function flagCounts(eb: ExpressionBuilder<Database, 'coffees'>, column: FlagColumn) {
  return [
    // COUNT(column) skips nulls: exactly the rows where the analyzer could tell.
    eb.fn.count(column).as(`${column}_known`),
    eb.fn.sum(eb.case().when(column, '=', 1).then(1).else(0).end()).as(`${column}_yes`),
  ];
}

function groupCountsQuery(db: Kysely<Database>, selection: StatsSelection) {
  return selected(
    db
      .selectFrom('coffees')
      .select((eb) => [
        eb.fn.countAll().as('cups'),
        eb.fn.sum(eb.case().when('status', '=', 'analyzed').then(1).else(0).end()).as('analyzed'),
        ...Object.values(ATTRIBUTE_COLUMNS).flatMap((column) => flagCounts(eb, column)),
      ]),
    selection,
  );
}

/** One row of counts over every selected coffee (all zeros or nulls when there are none). */
export async function queryOverallCounts(
  db: Kysely<Database>,
  selection: StatsSelection,
): Promise<RawGroupCounts> {
  const row = await groupCountsQuery(db, selection).executeTakeFirstOrThrow();
  return row as RawGroupCounts;
}

/** One row of counts per device that has selected coffees, by device id. */
export async function queryDeviceCounts(
  db: Kysely<Database>,
  selection: StatsSelection,
): Promise<(RawGroupCounts & { device_id: string })[]> {
  const rows = await groupCountsQuery(db, selection)
    .select('device_id')
    .groupBy('device_id')
    .orderBy('device_id')
    .execute();
  return rows as (RawGroupCounts & { device_id: string })[];
}

export async function queryCupsByHour(
  db: Kysely<Database>,
  selection: StatsSelection,
): Promise<{ coffee_hour: unknown; cups: RawCount }[]> {
  return selected(
    db.selectFrom('coffees').select((eb) => ['coffee_hour', eb.fn.countAll().as('cups')]),
    selection,
  )
    .groupBy('coffee_hour')
    .execute();
}

export async function queryCupsPerDay(
  db: Kysely<Database>,
  selection: StatsSelection,
): Promise<{ coffee_day: string; cups: RawCount }[]> {
  return selected(
    db.selectFrom('coffees').select((eb) => ['coffee_day', eb.fn.countAll().as('cups')]),
    selection,
  )
    .groupBy('coffee_day')
    .orderBy('coffee_day')
    .execute();
}

/** Columns a LatestCoffee is made of; face_details (the analyzer's raw answer) stays behind. */
export const LATEST_COLUMNS = [
  'device_id',
  'event_id',
  'photo_key',
  'captured_at',
  'analyzed_at',
  'status',
  'reason',
  'analyzer',
  ...STORED_ATTRIBUTE_COLUMNS,
] as const;

export type LatestRow = Pick<Database['coffees'], (typeof LATEST_COLUMNS)[number]>;

/** The newest coffees by coffee time (capture, else analysis), id breaking ties in arrival order. */
export async function queryLatest(db: Kysely<Database>, selection: StatsSelection): Promise<LatestRow[]> {
  if (selection.latest === 0) return [];
  return selected(db.selectFrom('coffees').select(LATEST_COLUMNS), selection)
    .orderBy((eb) => eb.fn.coalesce('captured_at', 'analyzed_at'), 'desc')
    .orderBy('id', 'desc')
    .limit(selection.latest)
    .execute();
}
