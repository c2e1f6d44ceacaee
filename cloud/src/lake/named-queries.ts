/**
 * The questions people ask the lake most, as SQL that runs unchanged on Athena (Trino) and on
 * the local DuckDB lake (`coffee-iot query`): infra saves them as Athena named queries, the README
 * shows them, and a test runs each on DuckDB against known data. `telemetry` and `coffees` are the
 * deduplicated views in both places: createLakeViews() locally, and in Athena the Glue views the
 * stack creates over the raw telemetry_all / coffees_all tables (glue-tables.ts), with the same
 * dedupe (dedupe-sql.ts). Never name the *_all tables here: they count a resent record twice.
 */
export interface NamedQuery {
  name: string;
  description: string;
  sql: string;
}

export const NAMED_QUERIES: readonly NamedQuery[] = Object.freeze([
  {
    name: 'temperature-per-device-today',
    description: 'Minimum, maximum and average temperature per device today (UTC)',
    sql: `SELECT device_id,
       min(temperature) AS min_temperature,
       max(temperature) AS max_temperature,
       round(avg(temperature), 2) AS avg_temperature,
       count(*) AS readings
FROM telemetry
WHERE CAST(ts AS DATE) = current_date
GROUP BY device_id
ORDER BY device_id`,
  },
  {
    name: 'readings-per-device-per-hour',
    description: 'Readings per device per hour (UTC), newest hour first',
    sql: `SELECT device_id, date_trunc('hour', ts) AS hour, count(*) AS readings
FROM telemetry
GROUP BY device_id, date_trunc('hour', ts)
ORDER BY hour DESC, device_id`,
  },
  {
    name: 'cups-and-smile-rate-per-day',
    description: 'Cups per day and the smile rate over the photos where a smile could be told',
    sql: `SELECT CAST(coalesce(captured_at, analyzed_at) AS DATE) AS day,
       count(*) AS cups,
       avg(CASE WHEN smile THEN 1.0 WHEN NOT smile THEN 0.0 END) AS smile_rate
FROM coffees
GROUP BY CAST(coalesce(captured_at, analyzed_at) AS DATE)
ORDER BY day`,
  },
]);
