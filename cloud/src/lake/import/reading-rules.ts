import type { CsvColumn } from './csv-format.js';

/** The contract form of ts that parseCsvTimestamp writes: the schema's pattern must be this one. */
export const CONTRACT_TS_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';

/** A JSON Schema of the contract's reading, as far as the rules go. */
export interface ReadingSchema {
  type?: unknown;
  additionalProperties?: unknown;
  required?: readonly string[];
  properties: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

const NUMBER_KEYWORDS = new Set(['type', 'minimum', 'maximum', 'description']);
const TS_KEYWORDS = new Set(['type', 'pattern', 'description']);

/**
 * The rules of the contract's reading schema that the import's row checks (csv-reading.ts) do not
 * make, as messages; empty when every reading those checks pass is valid under the schema. The
 * checks: a number column is a finite decimal within the schema's own minimum and maximum; seq is
 * a whole number from 1 to 2^53-1 (or derived from ts, see import-identity.ts); ts is written in
 * CONTRACT_TS_PATTERN's form; a reading has only the columns' fields, and every required one.
 * A keyword not listed here (multipleOf, exclusiveMaximum, a new required field…) is reported.
 */
export function uncoveredReadingRules(schema: ReadingSchema, columns: readonly CsvColumn[]): string[] {
  const problems: string[] = [];
  if (schema.type !== 'object') problems.push('a reading is not a plain object');
  const byField = new Map(columns.map((column) => [column.field, column]));
  for (const field of schema.required ?? []) {
    const column = byField.get(field);
    // seq may be derived; every other required field needs a required column.
    if (column === undefined || (!column.required && field !== 'seq')) {
      problems.push(`${field} is required by the contract but not by the CSV format`);
    }
  }
  for (const column of columns) {
    const rules = schema.properties[column.field];
    if (rules === undefined) {
      if (schema.additionalProperties === false) problems.push(`${column.field} is not a reading field`);
      continue;
    }
    const extra = (allowed: Set<string>) => Object.keys(rules).filter((keyword) => !allowed.has(keyword));
    if (column.field === 'ts') {
      if (rules.type !== 'string' || rules.pattern !== CONTRACT_TS_PATTERN || extra(TS_KEYWORDS).length > 0) {
        problems.push(`ts rules changed: ${JSON.stringify(rules)}`);
      }
    } else if (column.field === 'seq') {
      const { minimum, maximum } = rules as { minimum?: number; maximum?: number };
      if (
        rules.type !== 'integer' ||
        (minimum !== undefined && minimum > 1) ||
        (maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER) ||
        extra(NUMBER_KEYWORDS).length > 0
      ) {
        problems.push(`seq rules changed: ${JSON.stringify(rules)}`);
      }
    } else if (rules.type !== 'number' || extra(NUMBER_KEYWORDS).length > 0) {
      problems.push(`${column.field} rules the checks do not make: ${JSON.stringify(rules)}`);
    }
  }
  return problems;
}
