import {
  type DuckDBResult,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';
import type { TextSink } from '../../cli/cli-io.js';
import { type Align, formatTable } from '../../cli/text-table.js';

/**
 * A query result as text, in one of three forms:
 *
 * - `table`: aligned columns under the column names, numbers right-aligned, timestamps as
 *   `YYYY-MM-DD HH:MM:SS.mmm` (UTC, as stored), NULL as `null`;
 * - `csv`: RFC 4180 with a header row, NULL as an empty field and an empty string as `""` (so
 *   the two stay apart), timestamps as in the table (what Athena's TIMESTAMP reads);
 * - `json`: an array of objects, one per line; NULL as null, timestamps ISO-8601 with `Z`,
 *   integers as numbers (as strings past 2^53, where a JSON reader would round them), lists and
 *   structs as JSON.
 *
 * CSV and JSON are written chunk by chunk as DuckDB produces them; a table needs every row
 * before it knows its widths.
 */
export const QUERY_FORMATS = ['table', 'csv', 'json'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.BIGNUM,
]);

const TIMESTAMPS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
]);

/**
 * DuckDB prints `2026-03-05 09:30:00.25` and `… 09:30:00`; the lake's timestamps are
 * milliseconds, shown as such (`.250`, `.000`), as Athena does. Finer fractions are kept.
 */
function timestampText(value: DuckDBValue): string {
  const printed = String(value);
  const dot = printed.indexOf('.', 19);
  if (dot === -1) return `${printed}.000`;
  const fraction = printed.length - dot - 1;
  return fraction < 3 ? printed.padEnd(dot + 4, '0') : printed;
}

/** One value as text for the table and CSV; null stays null (each form shows it its own way). */
function text(value: DuckDBValue, type: DuckDBType): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (TIMESTAMPS.has(type.typeId)) return timestampText(value);
  // numbers (NaN and Infinity included), bigints, booleans and DuckDB's value objects
  // (timestamps, dates, decimals, lists, structs) all print themselves as DuckDB does.
  return String(value);
}

const jsonValue: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null) return null;
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (TIMESTAMPS.has(type.typeId)) return `${timestampText(value).replace(' ', 'T')}Z`;
  if (type.typeId === DuckDBTypeId.DECIMAL) return Number(String(value));
  return JsonDuckDBValueConverter(value, type, converter);
};

function csvField(cell: string | null): string {
  if (cell === null) return '';
  return cell === '' || /[",\r\n]|^\s|\s$/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** Writes every row of `result` to `out` in `format`; returns how many rows there were. */
export async function writeQueryResult(
  result: DuckDBResult,
  format: QueryFormat,
  out: TextSink,
): Promise<number> {
  const names = result.columnNames();
  const types: DuckDBType[] = result.columnTypes();
  let rows = 0;
  if (format === 'table') {
    const cells: string[][] = [];
    for await (const chunk of result.yieldRows()) {
      for (const row of chunk)
        cells.push(row.map((value, i) => text(value, types[i] as DuckDBType) ?? 'null'));
    }
    const align: Align[] = types.map((type) => (NUMERIC.has(type.typeId) ? 'right' : 'left'));
    out.write(formatTable(names, cells, align));
    return cells.length;
  }
  if (format === 'csv') {
    out.write(`${names.map(csvField).join(',')}\n`);
    for await (const chunk of result.yieldRows()) {
      out.write(
        chunk
          .map((row) => `${row.map((value, i) => csvField(text(value, types[i] as DuckDBType))).join(',')}\n`)
          .join(''),
      );
      rows += chunk.length;
    }
    return rows;
  }
  out.write('[');
  for await (const chunk of result.yieldConvertedRows(jsonValue)) {
    const lines = chunk.map((row) => {
      const object: Record<string, Json> = {};
      names.forEach((name, i) => {
        object[name] = row[i] ?? null;
      });
      return JSON.stringify(object);
    });
    if (lines.length > 0) out.write(`${rows === 0 ? '\n' : ',\n'}${lines.join(',\n')}`);
    rows += chunk.length;
  }
  out.write(rows === 0 ? ']\n' : '\n]\n');
  return rows;
}
