/** Output shared by the benchmarks: an aligned table for people, one JSON line for tools. */

export type Cell = string | number;

export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  const text = rows.map((row) => row.map((cell) => String(cell)));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of text) console.log(line(row));
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}

/** The machine-readable result: always the last line of output. */
export function printJsonLine(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result));
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Progress on stderr, so stdout stays the table plus the JSON line. */
export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
