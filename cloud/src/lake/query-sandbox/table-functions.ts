/*
 * Which table functions a `coffee-iot query` statement may call. A SELECT can call any table
 * function DuckDB has, and some of them act: `enable_logging(storage_path = …)` and
 * `enable_profiling(save_location = …)` change settings past `lock_configuration` and write files,
 * `query('…')` and `json_execute_serialized_sql` run SQL text the statement check never sees,
 * `checkpoint()` writes. So the list is of what may be called; everything else, including a
 * function a later DuckDB adds, is refused until someone reads what it does and adds it here.
 */

/** Table functions a query may call, by what they are for. */
const ALLOWED = {
  /** File readers: the sandbox's file gate (allowed_paths) limits them to the lake's Parquet files. */
  files: [
    'read_parquet',
    'parquet_scan',
    'parquet_metadata',
    'parquet_schema',
    'parquet_file_metadata',
    'parquet_kv_metadata',
    'parquet_full_metadata',
    'parquet_bloom_probe',
    'read_csv',
    'read_csv_auto',
    'sniff_csv',
    'read_json',
    'read_json_auto',
    'read_ndjson',
    'read_ndjson_auto',
    'read_json_objects',
    'read_json_objects_auto',
    'read_ndjson_objects',
    'read_text',
    'read_blob',
    'glob',
  ],
  /** Rows made from their arguments. */
  generators: [
    'range',
    'generate_series',
    'unnest',
    'repeat',
    'repeat_row',
    'json_each',
    'json_tree',
    'histogram',
    'histogram_values',
    'summary',
  ],
  /** The catalog and settings, read. */
  catalog: [
    'duckdb_columns',
    'duckdb_constraints',
    'duckdb_databases',
    'duckdb_dependencies',
    'duckdb_extensions',
    'duckdb_functions',
    'duckdb_indexes',
    'duckdb_keywords',
    'duckdb_memory',
    'duckdb_optimizers',
    'duckdb_schemas',
    'duckdb_sequences',
    'duckdb_settings',
    'duckdb_tables',
    'duckdb_temporary_files',
    'duckdb_types',
    'duckdb_variables',
    'duckdb_views',
    'pragma_collations',
    'pragma_database_size',
    'pragma_metadata_info',
    'pragma_platform',
    'pragma_show',
    'pragma_storage_info',
    'pragma_table_info',
    'pragma_user_agent',
    'pragma_version',
    'pg_timezone_names',
    'icu_calendar_names',
  ],
} as const;

export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(Object.values(ALLOWED).flat());

/** Why a function that is not allowed is refused, where there is more to say than "not listed". */
const REFUSAL_REASONS: Readonly<Record<string, string>> = {
  query: 'it runs SQL text that this check never sees',
  query_table: 'it runs SQL text that this check never sees',
  json_execute_serialized_sql: 'it runs SQL text that this check never sees',
  enable_logging: 'it changes settings past lock_configuration and can write log files',
  enable_profiling: 'it changes settings past lock_configuration and can write a profile file',
  disable_logging: 'it changes settings past lock_configuration',
  disable_profiling: 'it changes settings past lock_configuration',
  truncate_duckdb_logs: 'it changes DuckDB’s state',
  enable_peg_parser: 'it changes settings past lock_configuration',
  disable_peg_parser: 'it changes settings past lock_configuration',
  checkpoint: 'it writes the database',
  force_checkpoint: 'it writes the database',
  duckdb_secrets: 'it reads credentials',
  which_secret: 'it reads credentials',
  read_duckdb: 'it opens another database file',
  arrow_scan: 'it reads process memory at an address',
  arrow_scan_dumb: 'it reads process memory at an address',
};

/** Why `name` may not be called, or undefined when it may. */
export function tableFunctionRefusal(name: string): string | undefined {
  const key = name.toLowerCase();
  if (ALLOWED_TABLE_FUNCTIONS.has(key)) return undefined;
  return (
    REFUSAL_REASONS[key] ??
    'it is not one of the table functions a query may call (it may act, not only read)'
  );
}
