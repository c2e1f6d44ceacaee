import { CSV_COLUMNS, type CsvColumn, columnForHeader } from './csv-format.js';
import { ImportHeaderError } from './import-errors.js';

/** The file's columns by position. */
export interface CsvLayout {
  readonly columns: readonly CsvColumn[];
}

/**
 * Maps the header row onto the format's columns, or throws ImportHeaderError naming every problem
 * at once (missing, unknown and repeated columns), so one round of fixing the file is enough.
 */
export function resolveHeader(cells: readonly string[]): CsvLayout {
  const columns: CsvColumn[] = [];
  const unknown: string[] = [];
  const other: string[] = [];
  const firstPosition = new Map<CsvColumn, number>();
  cells.forEach((cell, index) => {
    const position = index + 1;
    if (cell.trim() === '') {
      other.push(`column ${position} has no name`);
      return;
    }
    const column = columnForHeader(cell);
    if (column === undefined) {
      unknown.push(cell);
      return;
    }
    const earlier = firstPosition.get(column);
    if (earlier !== undefined) {
      other.push(`column ${column.name} is named twice (columns ${earlier} and ${position})`);
      return;
    }
    firstPosition.set(column, position);
    columns.push(column);
  });
  const missing = CSV_COLUMNS.filter((column) => column.required && !firstPosition.has(column)).map(
    (column) => column.name,
  );
  if (missing.length > 0 || unknown.length > 0 || other.length > 0) {
    throw new ImportHeaderError({ missing, unknown, other });
  }
  return { columns };
}
