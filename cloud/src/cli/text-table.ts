export type Align = 'left' | 'right';

// A value with a newline or tab (an owner typed with one) would break the columns for every row.
const CONTROL = /\p{Cc}/gu;

function printable(cell: string): string {
  return cell.replace(CONTROL, ' ');
}

/**
 * Rows under a header, columns two spaces apart, padded to the widest cell; no trailing spaces.
 * Widths count UTF-16 units, which is right for the names and times we print.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const lines = [header, ...rows].map((row) => row.map(printable));
  const widths = header.map((_, column) => Math.max(...lines.map((row) => (row[column] ?? '').length)));
  return lines
    .map((row) =>
      row
        .map((cell, column) => {
          const width = widths[column] ?? cell.length;
          return align[column] === 'right' ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** ISO-8601 UTC → `YYYY-MM-DD HH:MM:SS`, the columns say the zone; '-' for none. */
export function shortTime(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

export function orDash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : value;
}
