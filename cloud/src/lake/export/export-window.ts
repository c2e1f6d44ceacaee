import { InvalidExportDayError } from './export-errors.js';

/**
 * Which rows belong to a day's export, as the SQL needs it. Readings are exported by when they
 * were measured (`ts`), coffees by when the photo was taken (`captured_at`, else `analyzed_at`) —
 * not by when the stream received them, so a reading that arrived late after an outage lands in
 * the export of the day it was measured. The ingest-time partitions are only a way to read less.
 */
export interface ExportWindow {
  /** yyyy-mm-dd (UTC) */
  readonly day: string;
  /** The day's first instant and the next day's, as SQL timestamp text `yyyy-mm-dd 00:00:00.000`. */
  readonly start: string;
  readonly end: string;
  /** The ingest partitions worth reading: the day and `margin` days either side. */
  readonly ingestDays: readonly IngestDay[];
}

export interface IngestDay {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** The UTC midnight of `day`; throws InvalidExportDayError for anything but a real yyyy-mm-dd day. */
export function parseExportDay(day: string): Date {
  const match = DAY_PATTERN.exec(day);
  if (match === null) throw new InvalidExportDayError(day);
  const midnight = new Date(`${day}T00:00:00.000Z`);
  // Date rolls 2026-02-30 over to March: a day that does not survive the round trip is not a day.
  if (Number.isNaN(midnight.getTime()) || formatDay(midnight) !== day) throw new InvalidExportDayError(day);
  return midnight;
}

export function formatDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The UTC day before `now`: what a morning run exports. */
export function previousUtcDay(now: Date): string {
  return formatDay(new Date(now.getTime() - DAY_MS));
}

export function exportWindow(day: string, marginDays: number): ExportWindow {
  const midnight = parseExportDay(day);
  const shifted = (days: number) => formatDay(new Date(midnight.getTime() + days * DAY_MS));
  const ingestDays: IngestDay[] = [];
  for (let offset = -marginDays; offset <= marginDays; offset++) {
    const [year = '', month = '', dayOfMonth = ''] = shifted(offset).split('-');
    ingestDays.push({ year, month, day: dayOfMonth });
  }
  return { day, start: `${day} 00:00:00.000`, end: `${shifted(1)} 00:00:00.000`, ingestDays };
}
