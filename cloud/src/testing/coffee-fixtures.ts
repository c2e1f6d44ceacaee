import { randomUUID } from 'node:crypto';
import { type CoffeeRecord, photoKey, validateCoffeeRecord } from '@coffee-iot/shared';

export const SAMPLE_DEVICE_ID = 'coffee-pi-01';
export const SAMPLE_CAPTURED_AT = '2026-03-02T08:15:30.250Z';

/**
 * A valid coffee record (one smiling person seen by Rekognition) for tests. Every call has a fresh
 * event id. The photo key follows the record's deviceId, eventId and capturedAt (analyzedAt when
 * capturedAt is null) unless the overrides give one, so overriding the device or the time keeps
 * the record consistent. Throws when the overrides make the record invalid, naming every problem,
 * so a test never runs on a record the pipeline would reject.
 */
export function sampleCoffeeRecord(overrides: Partial<CoffeeRecord> = {}): CoffeeRecord {
  const capturedAt = overrides.capturedAt === undefined ? SAMPLE_CAPTURED_AT : overrides.capturedAt;
  const analyzedAt =
    overrides.analyzedAt ?? new Date(Date.parse(capturedAt ?? SAMPLE_CAPTURED_AT) + 2_000).toISOString();
  const deviceId = overrides.deviceId ?? SAMPLE_DEVICE_ID;
  const eventId = overrides.eventId ?? randomUUID();
  const record: CoffeeRecord = {
    v: 1,
    type: 'coffee',
    deviceId,
    eventId,
    photoKey: photoKey(deviceId, new Date(capturedAt ?? analyzedAt), eventId),
    capturedAt,
    analyzedAt,
    status: 'analyzed',
    reason: null,
    analyzer: 'rekognition',
    personPresent: true,
    faceCount: 1,
    smile: true,
    smileConfidence: 97.25,
    eyeglasses: false,
    eyeglassesConfidence: 99.1,
    sunglasses: false,
    sunglassesConfidence: 99.8,
    beard: false,
    beardConfidence: 88.5,
    mustache: false,
    mustacheConfidence: 93.75,
    eyesOpen: true,
    eyesOpenConfidence: 96.4,
    ageLow: 28,
    ageHigh: 36,
    emotion: 'HAPPY',
    emotionConfidence: 91.3,
    ...overrides,
  };
  const result = validateCoffeeRecord(record);
  if (!result.ok)
    throw new Error(`sampleCoffeeRecord built an invalid record: ${result.problems.join('; ')}`);
  return record;
}
