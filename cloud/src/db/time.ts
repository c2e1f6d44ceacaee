import type { DbTime } from './schema.js';

const ISO_MILLIS = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}\.\d{3})Z$/;
const DB_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,6})?$/;

/** ISO-8601 UTC (or a Date) → `YYYY-MM-DD HH:MM:SS.mmm`, the literal both MySQL and SQLite store. */
export function toDbTime(value: Date | string): DbTime {
  const iso = typeof value === 'string' ? new Date(value).toISOString() : value.toISOString();
  const match = ISO_MILLIS.exec(iso);
  if (!match) throw new RangeError(`not a valid time: ${String(value)}`);
  return `${match[1]} ${match[2]}`;
}

/** `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) → ISO-8601 with milliseconds. */
export function fromDbTime(value: DbTime): string {
  const match = DB_TIME.exec(value);
  if (!match) throw new RangeError(`not a database time: "${value}"`);
  const fraction = (match[3] ?? '.000').slice(1).padEnd(3, '0').slice(0, 3);
  return `${match[1]}T${match[2]}.${fraction}Z`;
}

export function fromDbTimeOrNull(value: DbTime | null): string | null {
  return value === null ? null : fromDbTime(value);
}
