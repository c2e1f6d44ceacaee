// Text the page shows for numbers and times. No DOM here, so every rule is unit-tested.

/** What a missing number shows; an empty cell would look like a rendering bug. */
export const DASH = '—';

export function formatCount(value: number | null): string {
  return value === null ? DASH : String(value);
}

/** A 0..1 ratio as a whole percentage; null (nothing known) reads "unknown", never "0 %". */
export function formatPercent(rate: number | null): string {
  return rate === null ? 'unknown' : `${Math.round(rate * 100)} %`;
}

/** A confidence as the analyzers report it (0..100) as a whole percentage. */
export function formatConfidence(confidence: number): string {
  return `${Math.round(confidence)} %`;
}

/** How long ago `thenMs` was, as "3 s ago"; a time slightly ahead (clock skew) reads "just now". */
export function formatAgo(thenMs: number | null, nowMs: number): string {
  if (thenMs === null || Number.isNaN(thenMs)) return 'never';
  const seconds = Math.floor((nowMs - thenMs) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** Epoch milliseconds of an ISO 8601 time, or null when there is none or it does not parse. */
export function parseTime(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, HH:MM:SS. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time, yyyy-mm-dd HH:MM:SS: coffees can be days old, so the day matters. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(ms)}`;
}

/** A reading with a fixed number of decimals and its unit, e.g. "21.4 °C". */
export function formatReading(value: number | undefined, decimals: number, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  return `${value.toFixed(decimals)} ${unit}`;
}
