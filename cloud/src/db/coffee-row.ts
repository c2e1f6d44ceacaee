import type { CoffeeRecord, CoffeeRecordStatus } from '@coffee-iot/shared';
import type { Insertable, Selectable } from 'kysely';
import type { NewCoffee, StoredCoffee } from './coffee-repository.js';
import type { CoffeesTable, DbFlag } from './schema.js';
import { fromDbTime, fromDbTimeOrNull, toDbTime } from './time.js';

/** A stored row that does not map back to a valid record (written by hand or by a bug). */
export class CoffeeRowError extends Error {
  override readonly name = 'CoffeeRowError';
}

const STATUSES: readonly CoffeeRecordStatus[] = ['analyzed', 'unanalyzable', 'missing'];

function toFlag(value: boolean | null): DbFlag {
  return value === null ? null : value ? 1 : 0;
}

function fromFlag(value: DbFlag, column: string, photoKey: string): boolean | null {
  if (value === null) return null;
  if (value === 0 || value === 1) return value === 1;
  throw new CoffeeRowError(`coffee ${photoKey}: ${column} is ${String(value)}, expected 0, 1 or null`);
}

/** When the coffee happened: capture time, else (no captured-at metadata) analysis time. */
export function coffeeTime(record: Pick<CoffeeRecord, 'capturedAt' | 'analyzedAt'>): Date {
  return new Date(record.capturedAt ?? record.analyzedAt);
}

export function toCoffeeRow({ record, faceDetails }: NewCoffee): Insertable<CoffeesTable> {
  const at = coffeeTime(record).toISOString();
  return {
    photo_key: record.photoKey,
    device_id: record.deviceId,
    event_id: record.eventId,
    captured_at: record.capturedAt === null ? null : toDbTime(record.capturedAt),
    coffee_day: at.slice(0, 10),
    coffee_hour: Number(at.slice(11, 13)),
    analyzed_at: toDbTime(record.analyzedAt),
    status: record.status,
    reason: record.reason,
    analyzer: record.analyzer,
    person_present: toFlag(record.personPresent),
    face_count: record.faceCount,
    smile: toFlag(record.smile),
    smile_confidence: record.smileConfidence,
    eyeglasses: toFlag(record.eyeglasses),
    eyeglasses_confidence: record.eyeglassesConfidence,
    sunglasses: toFlag(record.sunglasses),
    sunglasses_confidence: record.sunglassesConfidence,
    beard: toFlag(record.beard),
    beard_confidence: record.beardConfidence,
    mustache: toFlag(record.mustache),
    mustache_confidence: record.mustacheConfidence,
    eyes_open: toFlag(record.eyesOpen),
    eyes_open_confidence: record.eyesOpenConfidence,
    age_low: record.ageLow,
    age_high: record.ageHigh,
    emotion: record.emotion,
    emotion_confidence: record.emotionConfidence,
    // JSON.stringify(undefined) is undefined: no analyzer answer is stored as NULL.
    face_details: faceDetails === undefined || faceDetails === null ? null : JSON.stringify(faceDetails),
  };
}

/** A row as read back: everything but the raw face details, which only an operator's query needs. */
export type StoredCoffeeRow = Omit<Selectable<CoffeesTable>, 'face_details'>;

/** The analyzer's answer, column by column (the flat attributes of a CoffeeRecord). */
export const ATTRIBUTE_COLUMNS = [
  'person_present',
  'face_count',
  'smile',
  'smile_confidence',
  'eyeglasses',
  'eyeglasses_confidence',
  'sunglasses',
  'sunglasses_confidence',
  'beard',
  'beard_confidence',
  'mustache',
  'mustache_confidence',
  'eyes_open',
  'eyes_open_confidence',
  'age_low',
  'age_high',
  'emotion',
  'emotion_confidence',
] as const satisfies readonly (keyof StoredCoffeeRow)[];

/** Every column but face_details (a few KB per face) for lookups that rebuild the record. */
export const STORED_COFFEE_COLUMNS = [
  'id',
  'photo_key',
  'device_id',
  'event_id',
  'captured_at',
  'coffee_day',
  'coffee_hour',
  'analyzed_at',
  'status',
  'reason',
  'analyzer',
  ...ATTRIBUTE_COLUMNS,
  'streamed_at',
] as const satisfies readonly (keyof StoredCoffeeRow)[];

export function fromCoffeeRow(row: StoredCoffeeRow): StoredCoffee {
  const key = row.photo_key;
  if (!STATUSES.includes(row.status as CoffeeRecordStatus)) {
    throw new CoffeeRowError(`coffee ${key}: status "${row.status}" is not one of ${STATUSES.join(', ')}`);
  }
  const record: CoffeeRecord = {
    v: 1,
    type: 'coffee',
    deviceId: row.device_id,
    eventId: row.event_id,
    photoKey: key,
    capturedAt: fromDbTimeOrNull(row.captured_at),
    analyzedAt: fromDbTime(row.analyzed_at),
    status: row.status as CoffeeRecordStatus,
    reason: row.reason,
    analyzer: row.analyzer,
    personPresent: fromFlag(row.person_present, 'person_present', key),
    faceCount: row.face_count,
    smile: fromFlag(row.smile, 'smile', key),
    smileConfidence: row.smile_confidence,
    eyeglasses: fromFlag(row.eyeglasses, 'eyeglasses', key),
    eyeglassesConfidence: row.eyeglasses_confidence,
    sunglasses: fromFlag(row.sunglasses, 'sunglasses', key),
    sunglassesConfidence: row.sunglasses_confidence,
    beard: fromFlag(row.beard, 'beard', key),
    beardConfidence: row.beard_confidence,
    mustache: fromFlag(row.mustache, 'mustache', key),
    mustacheConfidence: row.mustache_confidence,
    eyesOpen: fromFlag(row.eyes_open, 'eyes_open', key),
    eyesOpenConfidence: row.eyes_open_confidence,
    ageLow: row.age_low,
    ageHigh: row.age_high,
    emotion: row.emotion,
    emotionConfidence: row.emotion_confidence,
  };
  return { record, streamedAt: fromDbTimeOrNull(row.streamed_at) };
}
