import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { CoffeesTable } from '../../../cloud/src/db/schema.js';
import { toDbTime } from '../../../cloud/src/db/time.js';

/** 1 / 0 / null for a yes/no attribute, as the coffees table stores it. */
type Flag = 1 | 0 | null;

export interface CoffeeRowSpec {
  device: string;
  /** Capture time, ISO; null when the device did not say (the analysis time then decides day and hour). */
  capturedAt: string | null;
  /** Defaults to two seconds after capture. */
  analyzedAt?: string;
  status?: 'analyzed' | 'unanalyzable' | 'missing';
  reason?: string | null;
  analyzer?: string | null;
  /** person, smile, eyeglasses, sunglasses, beard, mustache: the flags a test reads back. */
  flags?: [Flag, Flag, Flag, Flag, Flag, Flag];
  overrides?: Partial<Insertable<CoffeesTable>>;
}

const UNKNOWN: [Flag, Flag, Flag, Flag, Flag, Flag] = [null, null, null, null, null, null];
/** Rekognition reports a confidence with every attribute; an unknown one has none. */
const CONFIDENCE = 95.5;

/**
 * A coffees row written by hand, the way the pipeline would write it: day and hour from the
 * capture time (else the analysis time), photo key following the photos/ layout.
 */
export function coffeeRow(spec: CoffeeRowSpec): Insertable<CoffeesTable> {
  const analyzedAt = spec.analyzedAt ?? new Date(Date.parse(spec.capturedAt ?? '') + 2_000).toISOString();
  const coffeeAt = spec.capturedAt ?? analyzedAt;
  const eventId = randomUUID();
  const [person, smile, eyeglasses, sunglasses, beard, mustache] = spec.flags ?? UNKNOWN;
  const confidence = (flag: Flag) => (flag === null ? null : CONFIDENCE);
  return {
    photo_key: `photos/${spec.device}/${coffeeAt.slice(0, 4)}/${coffeeAt.slice(5, 7)}/${coffeeAt.slice(8, 10)}/${eventId}.jpg`,
    device_id: spec.device,
    event_id: eventId,
    captured_at: spec.capturedAt === null ? null : toDbTime(spec.capturedAt),
    coffee_day: coffeeAt.slice(0, 10),
    coffee_hour: new Date(coffeeAt).getUTCHours(),
    analyzed_at: toDbTime(analyzedAt),
    status: spec.status ?? 'analyzed',
    reason: spec.reason ?? null,
    analyzer: spec.analyzer === undefined ? 'rekognition' : spec.analyzer,
    person_present: person,
    face_count: person === null ? null : person,
    smile,
    smile_confidence: confidence(smile),
    eyeglasses,
    eyeglasses_confidence: confidence(eyeglasses),
    sunglasses,
    sunglasses_confidence: confidence(sunglasses),
    beard,
    beard_confidence: confidence(beard),
    mustache,
    mustache_confidence: confidence(mustache),
    eyes_open: null,
    eyes_open_confidence: null,
    age_low: null,
    age_high: null,
    emotion: null,
    emotion_confidence: null,
    face_details: null,
    streamed_at: toDbTime(analyzedAt),
    ...spec.overrides,
  };
}
