/**
 * The result side of the RDS Data API dialect, kept free of the SDK: records plus column metadata
 * → plain rows, typed the way mysql2 (with `dateStrings`) hands them to Kysely, so the
 * repositories see identical rows on both paths.
 */

/** A returned field, as the SDK's Field union spells it (arrays are PostgreSQL only). */
export interface DataApiField {
  isNull?: boolean | undefined;
  stringValue?: string | undefined;
  longValue?: number | undefined;
  doubleValue?: number | undefined;
  booleanValue?: boolean | undefined;
  blobValue?: Uint8Array | undefined;
  arrayValue?: unknown;
}

export interface DataApiColumn {
  name?: string | undefined;
  label?: string | undefined;
  typeName?: string | undefined;
  scale?: number | undefined;
}

/** The Data API answered a shape this dialect does not read (a bug here, or an API change). */
export class DataApiResultError extends Error {
  override readonly name = 'DataApiResultError';
}

const TIME_TYPES = new Set(['DATETIME', 'TIMESTAMP']);
const FRACTION = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/**
 * mysql2 (dateStrings) prints a DATETIME(3) with all three digits; the Data API may drop trailing
 * zeros ("…:01.5"). Pad to the column's scale so a value reads back exactly as it was written.
 */
function timeString(value: string, scale: number | undefined): string {
  const match = FRACTION.exec(value);
  if (match === null || scale === undefined || scale <= 0) return value;
  return `${match[1]}.${(match[2] ?? '').padEnd(scale, '0')}`;
}

function fieldValue(field: DataApiField, column: DataApiColumn): unknown {
  const typeName = column.typeName?.toUpperCase();
  if (field.isNull === true) return null;
  if (field.stringValue !== undefined) {
    // DECIMAL stays a string, as mysql2 returns it by default (no silent rounding).
    return typeName !== undefined && TIME_TYPES.has(typeName)
      ? timeString(field.stringValue, column.scale)
      : field.stringValue;
  }
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  // A TINYINT(1) or BIT(1) may come back as a boolean; mysql2 gives the number, and flags are 0/1.
  if (field.booleanValue !== undefined) return field.booleanValue ? 1 : 0;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue);
  throw new DataApiResultError(
    `column ${column.label ?? column.name ?? '?'}: unsupported field ${JSON.stringify(Object.keys(field))}`,
  );
}

/** Rows keyed by each column's label (its alias), else its name, as mysql2 keys them. */
export function toRows(
  records: readonly (readonly DataApiField[])[] | undefined,
  columns: readonly DataApiColumn[] | undefined,
): Record<string, unknown>[] {
  if (records === undefined || records.length === 0) return [];
  if (columns === undefined) {
    throw new DataApiResultError('records came without column metadata: ask with includeResultMetadata');
  }
  const keys = columns.map((column, index) => column.label || column.name || `column_${index + 1}`);
  return records.map((record) => {
    if (record.length !== columns.length) {
      throw new DataApiResultError(`a record has ${record.length} fields for ${columns.length} columns`);
    }
    const row: Record<string, unknown> = {};
    record.forEach((field, index) => {
      row[keys[index] as string] = fieldValue(field, columns[index] as DataApiColumn);
    });
    return row;
  });
}
