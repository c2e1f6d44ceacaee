/** A SQL string literal (DuckDB): single quotes doubled. Paths and names go in this way. */
export function sqlString(text: string): string {
  if (text.includes('\0')) throw new TypeError('a SQL string cannot hold a NUL character');
  return `'${text.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier: double quotes doubled. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
