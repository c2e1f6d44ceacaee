import { DEDUPE_KEYS } from '../dedupe-sql.js';
import { COFFEE_EXPORT_COLUMNS, type ExportColumn, TELEMETRY_EXPORT_COLUMNS } from './export-columns.js';
import type { ExportWindow } from './export-window.js';
import { PHOTO_URL_PROBLEM_CODES, photoUrlProblemSql, photoUrlSql } from './photo-url-rule.js';
import { type SqlDialect, sqlString } from './sql-dialect.js';

/**
 * The export's SELECTs, written once for DuckDB (local lake) and Athena. Telemetry alias `t`,
 * coffees `c`, the registry `d`; a device missing from the registry keeps its rows (LEFT JOIN) with
 * owner, location and model NULL.
 */
export interface ExportSqlContext {
  readonly dialect: SqlDialect;
  /** Table references as they go into FROM (quoted and qualified where the engine needs it). */
  readonly tables: { readonly telemetry: string; readonly coffees: string; readonly devices: string };
  readonly window: ExportWindow;
  readonly photoBucket: string;
  /** Read only the ingest partitions near the day (Athena); locally every partition is read. */
  readonly pruneIngestPartitions: boolean;
  /**
   * The tables hold every stored copy (Athena's raw tables telemetry_all / coffees_all: Firehose
   * retries, a re-imported CSV): keep each reading's (device_id, seq) and each photo's photo_key
   * first arrival (least ingest_time, then the first file by "$path", as the lake's views do,
   * dedupe-sql.ts) among the partitions read. Done here, inside the pruned partitions, rather than
   * by reading the deduplicating views: a filter on ingest_* cannot be pushed below a window
   * partitioned by another key, so through a view every export would scan the whole lake. Locally
   * the views already hold one row per key.
   */
  readonly deduplicate: boolean;
}

/** `table alias` for FROM: the table, or each key's first arrival within the partitions read. */
function source(context: ExportSqlContext, table: 'telemetry' | 'coffees', alias: string): string {
  const reference = context.tables[table];
  if (!context.deduplicate) return `${reference} ${alias}`;
  const key = DEDUPE_KEYS[table].map((column) => `r.${column}`).join(', ');
  return `(
  SELECT * FROM (
    SELECT r.*, row_number() OVER (PARTITION BY ${key} ORDER BY r.ingest_time, "$path") AS arrival_rank
    FROM ${reference} r
    WHERE ${ingestFilter(context, 'r')}
  ) arrivals WHERE arrival_rank = 1
) ${alias}`;
}

function ingestFilter(context: ExportSqlContext, alias: string): string {
  if (!context.pruneIngestPartitions) return 'TRUE';
  // Plain equalities on the partition columns, so Athena's partition projection can prune.
  const days = context.window.ingestDays.map(
    (day) =>
      `(${alias}.ingest_year = ${sqlString(day.year)} AND ${alias}.ingest_month = ${sqlString(day.month)}` +
      ` AND ${alias}.ingest_day = ${sqlString(day.day)})`,
  );
  return `(${days.join(' OR ')})`;
}

function withinDay(context: ExportSqlContext, timeExpr: string): string {
  const { start, end } = context.window;
  return `${timeExpr} >= TIMESTAMP ${sqlString(start)} AND ${timeExpr} < TIMESTAMP ${sqlString(end)}`;
}

function selectList(columns: readonly ExportColumn[], alias: string, context: ExportSqlContext): string {
  return columns
    .map((column) => {
      const source = column.from === 'registry' ? `d.${column.name}` : `${alias}.${column.name}`;
      return column.timestamp ? `${context.dialect.timestampOut(source)} AS ${column.name}` : source;
    })
    .join(',\n  ');
}

/** The day's readings, each with its device's owner, location and model, in device and time order. */
export function telemetryExportSelect(context: ExportSqlContext): string {
  const ts = context.dialect.timestampIn('t.ts');
  return `SELECT
  ${selectList(TELEMETRY_EXPORT_COLUMNS, 't', context)}
FROM ${source(context, 'telemetry', 't')}
LEFT JOIN ${context.tables.devices} d ON d.thing_name = t.device_id
WHERE ${ingestFilter(context, 't')} AND ${withinDay(context, ts)}
ORDER BY t.device_id, ${ts}, t.seq`;
}

/**
 * The day's coffees with their photo URL and the problem that leaves a row out (NULL: exported).
 * A subquery, so the URL is built once and the problem CASE reads a column.
 */
export function coffeeDaySelect(context: ExportSqlContext): string {
  const { dialect } = context;
  const takenAt = `coalesce(${dialect.timestampIn('c.captured_at')}, ${dialect.timestampIn('c.analyzed_at')})`;
  return `SELECT u.*, ${photoUrlProblemSql('u.photo_url', dialect)} AS photo_problem
FROM (
  SELECT c.*, ${photoUrlSql('c.photo_key', sqlString(context.photoBucket))} AS photo_url, ${takenAt} AS taken_at
  FROM ${source(context, 'coffees', 'c')}
  WHERE ${ingestFilter(context, 'c')} AND ${withinDay(context, takenAt)}
) u`;
}

/** The day's coffees that have a valid photo URL, enriched, in device and capture order. */
export function coffeeExportSelect(context: ExportSqlContext): string {
  return `SELECT
  ${selectList(COFFEE_EXPORT_COLUMNS, 'c', context)}
FROM (${coffeeDaySelect(context)}) c
LEFT JOIN ${context.tables.devices} d ON d.thing_name = c.device_id
WHERE c.photo_problem IS NULL
ORDER BY c.device_id, c.taken_at, c.event_id`;
}

/** The columns of inputCountsSelect, in order (the state machine reads them by position). */
export const INPUT_COUNT_COLUMNS = Object.freeze([
  'telemetry_rows',
  'coffee_rows',
  'coffees_left_out',
  'unregistered_devices',
  ...PHOTO_URL_PROBLEM_CODES.map(leftOutColumn),
]);

/** `left_out_empty_object_key` for `empty-object-key`. */
export function leftOutColumn(problem: string): string {
  return `left_out_${problem.replaceAll('-', '_')}`;
}

/**
 * One row: the day's readings and coffees (before any is left out), the coffees left out in all
 * and per reason, and how many of the day's devices the registry does not know. Zero readings and
 * zero coffees mean "nothing to export".
 */
export function inputCountsSelect(context: ExportSqlContext): string {
  const perProblem = PHOTO_URL_PROBLEM_CODES.map(
    (problem) => `count(CASE WHEN photo_problem = '${problem}' THEN 1 END) AS ${leftOutColumn(problem)}`,
  );
  return `WITH day_readings AS (
  SELECT t.device_id FROM ${source(context, 'telemetry', 't')}
  WHERE ${ingestFilter(context, 't')} AND ${withinDay(context, context.dialect.timestampIn('t.ts'))}
), day_coffees AS (
  ${coffeeDaySelect(context)}
), day_devices AS (
  SELECT device_id FROM day_readings
  UNION
  SELECT device_id FROM day_coffees WHERE photo_problem IS NULL
)
SELECT
  (SELECT count(*) FROM day_readings) AS telemetry_rows,
  count(*) AS coffee_rows,
  count(photo_problem) AS coffees_left_out,
  (SELECT count(*) FROM day_devices x WHERE NOT EXISTS (
    SELECT 1 FROM ${context.tables.devices} d WHERE d.thing_name = x.device_id)) AS unregistered_devices,
  ${perProblem.join(',\n  ')}
FROM day_coffees`;
}
