import type { CoffeeRecord } from '@coffee-iot/shared';
import type { CoffeeRow } from '../rows.js';
import type { IngestColumns } from './ingest-columns.js';
import { isRealIsoMillis, lakeTimestampOfIso } from './timestamps.js';

export type CoffeeRowResult = { ok: true; row: CoffeeRow } | { ok: false; problems: string[] };

/** The coffee record flattened column for column (COFFEE_COLUMNS), or its impossible timestamps. */
export function coffeeRowOf(record: CoffeeRecord, ingest: IngestColumns): CoffeeRowResult {
  const problems: string[] = [];
  if (record.capturedAt !== null && !isRealIsoMillis(record.capturedAt)) {
    problems.push(`/capturedAt: ${record.capturedAt} is not a real UTC moment`);
  }
  if (!isRealIsoMillis(record.analyzedAt)) {
    problems.push(`/analyzedAt: ${record.analyzedAt} is not a real UTC moment`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    row: {
      device_id: record.deviceId,
      event_id: record.eventId,
      photo_key: record.photoKey,
      captured_at: record.capturedAt === null ? null : lakeTimestampOfIso(record.capturedAt),
      analyzed_at: lakeTimestampOfIso(record.analyzedAt),
      status: record.status,
      reason: record.reason,
      analyzer: record.analyzer,
      person_present: record.personPresent,
      face_count: record.faceCount,
      smile: record.smile,
      smile_confidence: record.smileConfidence,
      eyeglasses: record.eyeglasses,
      eyeglasses_confidence: record.eyeglassesConfidence,
      sunglasses: record.sunglasses,
      sunglasses_confidence: record.sunglassesConfidence,
      beard: record.beard,
      beard_confidence: record.beardConfidence,
      mustache: record.mustache,
      mustache_confidence: record.mustacheConfidence,
      eyes_open: record.eyesOpen,
      eyes_open_confidence: record.eyesOpenConfidence,
      age_low: record.ageLow,
      age_high: record.ageHigh,
      emotion: record.emotion,
      emotion_confidence: record.emotionConfidence,
      ingest_time: ingest.ingest_time,
      ingest_year: ingest.ingest_year,
      ingest_month: ingest.ingest_month,
      ingest_day: ingest.ingest_day,
      ingest_hour: ingest.ingest_hour,
    },
  };
}
