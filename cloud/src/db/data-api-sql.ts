/**
 * The statement side of the RDS Data API dialect, kept free of the SDK: Kysely's MySQL compiler
 * writes `?` placeholders, the Data API takes named ones (`:p1`) with typed values.
 */

/** A Data API value, as the SDK's Field/SqlParameter value union spells it. */
export type DataApiValue =
  | { isNull: true }
  | { stringValue: string }
  | { longValue: number }
  | { doubleValue: number }
  | { booleanValue: boolean }
  | { blobValue: Uint8Array };

export interface DataApiParameter {
  name: string;
  value: DataApiValue;
}

/** Kysely handed the dialect a value the Data API has no type for. */
export class DataApiParameterError extends Error {
  override readonly name = 'DataApiParameterError';
}

/**
 * Calls `onPlaceholder` for each `marker` outside quoted strings, quoted identifiers and comments,
 * and returns the SQL with each replaced by what it returns. Literals inlined by `sql.lit` may
 * contain `?` or `:`, so a plain replace would corrupt them.
 */
export function replacePlaceholders(
  sqlText: string,
  marker: RegExp,
  onPlaceholder: (match: string) => string,
): string {
  let out = '';
  let i = 0;
  const sticky = new RegExp(marker.source, 'y');
  while (i < sqlText.length) {
    const ch = sqlText[i] as string;
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = quotedEnd(sqlText, i, ch);
      out += sqlText.slice(i, end);
      i = end;
    } else if (sqlText.startsWith('--', i) || ch === '#') {
      const end = sqlText.indexOf('\n', i);
      const stop = end === -1 ? sqlText.length : end;
      out += sqlText.slice(i, stop);
      i = stop;
    } else if (sqlText.startsWith('/*', i)) {
      const end = sqlText.indexOf('*/', i + 2);
      const stop = end === -1 ? sqlText.length : end + 2;
      out += sqlText.slice(i, stop);
      i = stop;
    } else {
      sticky.lastIndex = i;
      const match = sticky.exec(sqlText);
      if (match !== null && match[0] !== '') {
        out += onPlaceholder(match[0]);
        i += match[0].length;
      } else {
        out += ch;
        i += 1;
      }
    }
  }
  return out;
}

/** The index just past a quoted run starting at `start`; doubled quotes and backslashes escape. */
function quotedEnd(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && quote !== '`') {
      i += 2;
    } else if (ch === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return text.length;
}

/** A Kysely parameter as a typed Data API value, the way mysql2 would have sent it to MySQL. */
export function toDataApiValue(value: unknown, position: number): DataApiValue {
  if (value === null || value === undefined) return { isNull: true };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new DataApiParameterError(`parameter ${position} is ${value}: MySQL stores no such number`);
    }
    return Number.isSafeInteger(value) ? { longValue: value } : { doubleValue: value };
  }
  if (typeof value === 'bigint') {
    // longValue is a JSON number on the wire: beyond 2^53 it would be rounded, so send the digits.
    return Number.isSafeInteger(Number(value))
      ? { longValue: Number(value) }
      : { stringValue: String(value) };
  }
  if (value instanceof Uint8Array) return { blobValue: value };
  throw new DataApiParameterError(
    `parameter ${position} is ${Object.prototype.toString.call(value)}: pass strings (times as DbTime), numbers, booleans, bigints, bytes or null`,
  );
}

export interface NamedStatement {
  sql: string;
  parameters: DataApiParameter[];
}

/** `?` placeholders → `:p1`, `:p2`… with the parameters typed. */
export function toNamedStatement(sqlText: string, values: readonly unknown[]): NamedStatement {
  let next = 0;
  const named = replacePlaceholders(sqlText, /\?/, () => {
    next += 1;
    return `:p${next}`;
  });
  if (next !== values.length) {
    throw new DataApiParameterError(`the statement has ${next} placeholder(s) but ${values.length} value(s)`);
  }
  return {
    sql: named,
    parameters: values.map((value, index) => ({
      name: `p${index + 1}`,
      value: toDataApiValue(value, index + 1),
    })),
  };
}
