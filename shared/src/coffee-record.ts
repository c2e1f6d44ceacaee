/**
 * The photo pipeline's output, one per photo: what goes into the ingest stream (`type: "coffee"`)
 * and, column for column, into the lake's `coffees` table. Schema: schemas/coffee-record-v1.schema.json.
 */
export const COFFEE_RECORD_TYPE = 'coffee';
export const TELEMETRY_RECORD_TYPE = 'telemetry';

export type CoffeeRecordStatus = 'analyzed' | 'unanalyzable' | 'missing';

/** The face attributes every analyzer reports; null means the analyzer could not tell. */
export interface FaceAttributes {
  personPresent: boolean | null;
  faceCount: number | null;
  smile: boolean | null;
  smileConfidence: number | null;
  eyeglasses: boolean | null;
  eyeglassesConfidence: number | null;
  sunglasses: boolean | null;
  sunglassesConfidence: number | null;
  beard: boolean | null;
  beardConfidence: number | null;
  mustache: boolean | null;
  mustacheConfidence: number | null;
  eyesOpen: boolean | null;
  eyesOpenConfidence: number | null;
  ageLow: number | null;
  ageHigh: number | null;
  emotion: string | null;
  emotionConfidence: number | null;
}

export interface CoffeeRecord extends FaceAttributes {
  v: 1;
  type: typeof COFFEE_RECORD_TYPE;
  deviceId: string;
  eventId: string;
  photoKey: string;
  capturedAt: string | null;
  analyzedAt: string;
  status: CoffeeRecordStatus;
  reason: string | null;
  analyzer: string | null;
}

/** Every attribute unknown: what a photo that was never analysed carries. */
export const UNKNOWN_FACE_ATTRIBUTES: Readonly<FaceAttributes> = Object.freeze({
  personPresent: null,
  faceCount: null,
  smile: null,
  smileConfidence: null,
  eyeglasses: null,
  eyeglassesConfidence: null,
  sunglasses: null,
  sunglassesConfidence: null,
  beard: null,
  beardConfidence: null,
  mustache: null,
  mustacheConfidence: null,
  eyesOpen: null,
  eyesOpenConfidence: null,
  ageLow: null,
  ageHigh: null,
  emotion: null,
  emotionConfidence: null,
});
