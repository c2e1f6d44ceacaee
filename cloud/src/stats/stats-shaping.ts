import type { CoffeeRecordStatus } from '@coffee-iot/shared';
import { fromDbTime, fromDbTimeOrNull } from '../db/time.js';
import { CoffeeStatsDataError } from './stats-errors.js';
import { ATTRIBUTE_COLUMNS, type LatestRow, type RawCount, type RawGroupCounts } from './stats-queries.js';
import type { AttributeStats, DayCups, GroupStats, LatestCoffee } from './stats-types.js';

const HOURS_PER_DAY = 24;
const STATUSES: readonly CoffeeRecordStatus[] = ['analyzed', 'unanalyzable', 'missing'];

/**
 * A driver's count as a number. SQLite gives numbers; mysql2 gives COUNT as a number (or a string
 * or bigint with its big-number options) and SUM as a DECIMAL string; SUM over no rows is NULL.
 */
export function toCount(value: RawCount, what: string): number {
  if (value === null || value === undefined) return 0;
  const count =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint'
        ? Number(value)
        : typeof value === 'string' && /^\d+(\.0*)?$/.test(value)
          ? Number(value)
          : Number.NaN;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new CoffeeStatsDataError(`${what}: expected a count, the database returned ${String(value)}`);
  }
  return count;
}

function attributeStats(known: number, yes: number): AttributeStats {
  return { known, yes, rate: known === 0 ? null : yes / known };
}

export function groupStats(row: RawGroupCounts): GroupStats {
  const attribute = (column: string): AttributeStats =>
    attributeStats(
      toCount(row[`${column}_known`], `${column}_known`),
      toCount(row[`${column}_yes`], `${column}_yes`),
    );
  return {
    cups: toCount(row.cups, 'cups'),
    analyzed: toCount(row.analyzed, 'analyzed'),
    withPerson: attribute(ATTRIBUTE_COLUMNS.withPerson),
    smile: attribute(ATTRIBUTE_COLUMNS.smile),
    eyeglasses: attribute(ATTRIBUTE_COLUMNS.eyeglasses),
    sunglasses: attribute(ATTRIBUTE_COLUMNS.sunglasses),
    beard: attribute(ATTRIBUTE_COLUMNS.beard),
    mustache: attribute(ATTRIBUTE_COLUMNS.mustache),
  };
}

/** 24 counts, one per UTC hour; hours without coffees are 0. */
export function cupsByHourOfDay(rows: readonly { coffee_hour: unknown; cups: RawCount }[]): number[] {
  const hours = new Array<number>(HOURS_PER_DAY).fill(0);
  for (const row of rows) {
    const hour = Number(row.coffee_hour);
    // The pipeline derives coffee_hour from a UTC time; anything else is a broken row, not a cup to lose.
    if (!Number.isInteger(hour) || hour < 0 || hour >= HOURS_PER_DAY) {
      throw new CoffeeStatsDataError(
        `coffee_hour must be 0-23, the database holds ${String(row.coffee_hour)}`,
      );
    }
    hours[hour] = toCount(row.cups, `cups at hour ${hour}`);
  }
  return hours;
}

export function cupsPerDay(rows: readonly { coffee_day: string; cups: RawCount }[]): DayCups[] {
  return rows.map((row) => ({ day: row.coffee_day, cups: toCount(row.cups, `cups on ${row.coffee_day}`) }));
}

function flag(value: number | null): boolean | null {
  return value === null ? null : value !== 0;
}

/** DOUBLE and SMALLINT arrive as numbers from both drivers; a string would be a driver option gone astray. */
function numberOrNull(value: unknown, what: string): number | null {
  if (value === null) return null;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new CoffeeStatsDataError(`${what}: expected a number, the database returned ${String(value)}`);
  }
  return number;
}

export function latestCoffee(row: LatestRow): LatestCoffee {
  if (!(STATUSES as readonly string[]).includes(row.status)) {
    throw new CoffeeStatsDataError(`coffee ${row.photo_key} has unknown status "${row.status}"`);
  }
  const n = (column: keyof LatestRow) => numberOrNull(row[column], `coffee ${row.photo_key} ${column}`);
  return {
    deviceId: row.device_id,
    eventId: row.event_id,
    photoKey: row.photo_key,
    capturedAt: fromDbTimeOrNull(row.captured_at),
    analyzedAt: fromDbTime(row.analyzed_at),
    status: row.status as CoffeeRecordStatus,
    reason: row.reason,
    analyzer: row.analyzer,
    personPresent: flag(row.person_present),
    faceCount: n('face_count'),
    smile: flag(row.smile),
    smileConfidence: n('smile_confidence'),
    eyeglasses: flag(row.eyeglasses),
    eyeglassesConfidence: n('eyeglasses_confidence'),
    sunglasses: flag(row.sunglasses),
    sunglassesConfidence: n('sunglasses_confidence'),
    beard: flag(row.beard),
    beardConfidence: n('beard_confidence'),
    mustache: flag(row.mustache),
    mustacheConfidence: n('mustache_confidence'),
    eyesOpen: flag(row.eyes_open),
    eyesOpenConfidence: n('eyes_open_confidence'),
    ageLow: n('age_low'),
    ageHigh: n('age_high'),
    emotion: row.emotion,
    emotionConfidence: n('emotion_confidence'),
  };
}
