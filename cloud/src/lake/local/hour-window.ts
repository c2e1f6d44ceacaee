import { partitionPath, partitionValuesOf } from '../layout.js';
import type { PartitionValues } from '../rows.js';
import { InvalidReplayWindowError } from './lake-errors.js';

/** A span of arrival (ingest) time, [from, to). */
export interface TimeWindow {
  readonly from: Date;
  readonly to: Date;
}

export const HOUR_MS = 3_600_000;

/** One ingest hour: its start and its partition. */
export interface IngestHour {
  readonly start: Date;
  readonly partition: PartitionValues;
  /** `ingest_year=…/ingest_month=…/ingest_day=…/ingest_hour=…` */
  readonly path: string;
}

function ingestHour(startMs: number): IngestHour {
  const start = new Date(startMs);
  const partition = partitionValuesOf(start);
  return { start, partition, path: partitionPath(partition) };
}

/** Every ingest hour the window touches, oldest first (a partial hour at either end included). */
export function hoursTouched(window: TimeWindow): IngestHour[] {
  const hours: IngestHour[] = [];
  const first = Math.floor(window.from.getTime() / HOUR_MS) * HOUR_MS;
  for (let start = first; start < window.to.getTime(); start += HOUR_MS) hours.push(ingestHour(start));
  return hours;
}

/**
 * A replay window: whole UTC hours (the unit a replay rebuilds is an ingest-hour partition, so a
 * window ending mid-hour would have to rebuild rows outside it), `from` before `to`.
 */
export function replayWindow(from: Date, to: Date): TimeWindow {
  const problems: string[] = [];
  for (const [name, at] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (Number.isNaN(at.getTime())) problems.push(`${name} is not a valid time`);
    else if (at.getTime() % HOUR_MS !== 0) {
      problems.push(
        `${name} ${at.toISOString()} is not on a whole UTC hour (replay rebuilds whole ingest hours)`,
      );
    }
  }
  if (problems.length === 0 && from.getTime() >= to.getTime()) {
    problems.push(`from ${from.toISOString()} must be before to ${to.toISOString()}`);
  }
  if (problems.length > 0) throw new InvalidReplayWindowError(problems.join('; '));
  return { from, to };
}

// YYYY-MM-DD, then optionally T or space and HH[:MM[:SS[.fff]]], then optionally Z: always UTC.
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?)?Z?$/;

/**
 * A replay bound as the user types it: `2026-03-05`, `2026-03-05T10`, `2026-03-05T10:00`,
 * `2026-03-05 10:00:00Z`… always UTC (ingest partitions are UTC hours; an offset would invite
 * an off-by-hours window, so none is accepted). Throws InvalidReplayWindowError.
 */
export function parseUtcTime(text: string): Date {
  const match = TIME.exec(text.trim());
  if (match === null) {
    throw new InvalidReplayWindowError(
      `"${text}" is not a UTC time: use YYYY-MM-DD or YYYY-MM-DDTHH[:MM[:SS]][Z], e.g. 2026-03-05T10`,
    );
  }
  const [year, month, day, hour, minute, second] = match
    .slice(1, 7)
    .map((part) => (part === undefined ? 0 : Number(part)));
  const millis = match[7] === undefined ? 0 : Number(match[7].padEnd(3, '0'));
  const at = new Date(
    Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0, millis),
  );
  // Date.UTC rolls 2026-02-30 over into March: refuse what is not a real moment.
  if (
    at.getUTCFullYear() !== year ||
    at.getUTCMonth() + 1 !== month ||
    at.getUTCDate() !== day ||
    at.getUTCHours() !== hour ||
    at.getUTCMinutes() !== minute ||
    at.getUTCSeconds() !== second
  ) {
    throw new InvalidReplayWindowError(`"${text}" is not a real UTC time`);
  }
  return at;
}
