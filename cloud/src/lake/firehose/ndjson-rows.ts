import { COFFEE_COLUMNS, type LakeTableName, TELEMETRY_COLUMNS } from '../columns.js';
import type { CoffeeRow, TelemetryRow } from '../rows.js';

/**
 * The keys Firehose's Parquet conversion reads, in table order: the table's columns without the
 * ingest_* partition values, which travel as the answer's partition keys (dynamic partitioning)
 * and would only cost response bytes in every row.
 */
const DATA_KEYS: Readonly<Record<LakeTableName, readonly string[]>> = Object.freeze({
  telemetry: Object.freeze(TELEMETRY_COLUMNS.map((column) => column.name)),
  coffees: Object.freeze(COFFEE_COLUMNS.map((column) => column.name)),
});

/**
 * Rows as newline-delimited flat JSON, each line ending in "\n" so that Firehose, which joins the
 * records of a batch back to back, still gets one JSON document per line.
 */
export function ndjsonOf(table: LakeTableName, rows: readonly (TelemetryRow | CoffeeRow)[]): string {
  const keys = DATA_KEYS[table] as string[];
  let text = '';
  for (const row of rows) text += `${JSON.stringify(row, keys)}\n`;
  return text;
}
