import type { LakeTableName } from './columns.js';

/**
 * The one dedupe of the lake, as SQL both engines run: DuckDB for the local lake (views.ts) and
 * Athena (Trino) for the `telemetry` / `coffees` views over the raw Glue tables (glue-tables.ts).
 *
 * A row is a duplicate of another when it has the same key: a reading is (device_id, seq), a coffee
 * is its photo_key. Of a key's rows the earliest arrival is kept (least ingest_time), and of rows that
 * arrived in the same instant the one in the first file by path, so the answer never depends on
 * the order a scan happens to return rows in. The file is `filename` in DuckDB (read_parquet's
 * column) and `"$path"` in Athena (a hidden column of every Hive table): both are the object's full
 * path, and the lake's layout is the same under both roots, so they order files alike.
 *
 * Written without QUALIFY (Trino has none) and with an aliased subquery, which both accept.
 */
export const DEDUPE_KEYS: Readonly<Record<LakeTableName, readonly string[]>> = Object.freeze({
  telemetry: Object.freeze(['device_id', 'seq']),
  coffees: Object.freeze(['photo_key']),
});

/** The column that ranks a key's rows within itself; never one of the lake's columns. */
export const ARRIVAL_RANK_COLUMN = 'arrival_rank';

export interface FirstArrivalOptions {
  /** The select list of the result: the table's columns (plain names or casts), in order. */
  readonly select: readonly string[];
  /** What to read: a table name, or a table function such as read_parquet(…). */
  readonly from: string;
  /** The dedupe key's columns (DEDUPE_KEYS). */
  readonly key: readonly string[];
  /** The file a row came from: `filename` (DuckDB) or `"$path"` (Athena). */
  readonly file: string;
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** SELECT <select> of `from`, one row per key: the earliest ingest_time, then the first file. */
export function firstArrivalSql(options: FirstArrivalOptions): string {
  if (options.key.length === 0) throw new RangeError('a dedupe needs at least one key column');
  const key = options.key.map(quoted).join(', ');
  return `SELECT ${options.select.join(', ')}
FROM (
  SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY "ingest_time", ${options.file}) AS ${quoted(ARRIVAL_RANK_COLUMN)}
  FROM ${options.from}
) AS arrivals
WHERE ${quoted(ARRIVAL_RANK_COLUMN)} = 1`;
}
