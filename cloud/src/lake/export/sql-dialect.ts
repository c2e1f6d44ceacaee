/**
 * The few places where DuckDB (the local lake) and Athena (Trino) spell the same thing
 * differently. The export's SQL is written once against this interface, so the local export and
 * the Athena export select, join and leave out the same rows.
 */
export interface SqlDialect {
  readonly name: 'duckdb' | 'athena';
  /** True when `expr` contains a match of `pattern` (patterns are anchored where they need to be). */
  regexpLike(expr: string, pattern: string): string;
  /** Length in UTF-8 bytes: S3 limits keys in bytes, not characters. */
  byteLength(expr: string): string;
  /** A lake timestamp column as a timestamp (the local views may hold them as text). */
  timestampIn(expr: string): string;
  /**
   * A timestamp as the export writes it: milliseconds. DuckDB's TIMESTAMP_MS becomes a Parquet
   * INT64 TIMESTAMP(MILLIS), which Athena (either engine), Spark and Hive read; nanoseconds they
   * do not. The lake's timestamps carry milliseconds (rows.ts), so nothing is lost.
   */
  timestampOut(expr: string): string;
}

export const DUCKDB_DIALECT: SqlDialect = Object.freeze({
  name: 'duckdb',
  regexpLike: (expr: string, pattern: string) => `regexp_matches(${expr}, ${sqlString(pattern)})`,
  byteLength: (expr: string) => `strlen(${expr})`,
  timestampIn: (expr: string) => `CAST(${expr} AS TIMESTAMP)`,
  timestampOut: (expr: string) => `CAST(${expr} AS TIMESTAMP_MS)`,
});

export const ATHENA_DIALECT: SqlDialect = Object.freeze({
  name: 'athena',
  regexpLike: (expr: string, pattern: string) => `regexp_like(${expr}, ${sqlString(pattern)})`,
  byteLength: (expr: string) => `length(to_utf8(${expr}))`,
  // The Glue tables declare these columns TIMESTAMP already: a cast would only hide a schema drift.
  timestampIn: (expr: string) => expr,
  timestampOut: (expr: string) => `CAST(${expr} AS timestamp(3))`,
});

/**
 * A SQL string literal. Both engines use standard literals (no backslash escapes), so doubling the
 * quote is the whole job: regex patterns keep their backslashes as written.
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted identifier (Athena database and table names may hold hyphens). */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
