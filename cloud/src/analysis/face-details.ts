import type { FaceDetail } from '@aws-sdk/client-rekognition';
import { type FaceAttributes, UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';

/** How sure Rekognition must be before we count a face or believe an attribute (0–100). */
export interface FaceThresholds {
  /** A detection below this is not counted as a face (a poster, a reflection, a blur). */
  minFaceConfidence: number;
  /** An attribute or emotion below this is stored as unknown (null), never as its guess. */
  minAttributeConfidence: number;
}

/**
 * AWS recommends 99 where a wrong attribute could harm the person (guidance-face-attributes);
 * ours feed coffee statistics, so we accept less but still drop clear guesses.
 */
export const DEFAULT_FACE_THRESHOLDS: Readonly<FaceThresholds> = Object.freeze({
  minFaceConfidence: 90,
  minAttributeConfidence: 80,
});

/** The shape Rekognition gives every yes/no attribute (Smile, Eyeglasses, …). */
interface FlagAttribute {
  Value?: boolean | undefined;
  Confidence?: number | undefined;
}

/**
 * Turns DetectFaces' FaceDetails into our flat attribute set. Faces under `minFaceConfidence`
 * are not counted. The attributes are those of the primary face (see `primaryFace`); anything
 * missing or under `minAttributeConfidence` is null with a null confidence.
 */
export function toFaceAttributes(
  faces: readonly FaceDetail[],
  thresholds: FaceThresholds = DEFAULT_FACE_THRESHOLDS,
): FaceAttributes {
  const counted = faces.filter((face) => (face.Confidence ?? 0) >= thresholds.minFaceConfidence);
  const primary = primaryFace(counted);
  // Rekognition looked and saw nobody: that is known (false, 0); the attributes are not.
  if (primary === undefined) return { ...UNKNOWN_FACE_ATTRIBUTES, personPresent: false, faceCount: 0 };

  const min = thresholds.minAttributeConfidence;
  const smile = flag(primary.Smile, min);
  const eyeglasses = flag(primary.Eyeglasses, min);
  const sunglasses = flag(primary.Sunglasses, min);
  const beard = flag(primary.Beard, min);
  const mustache = flag(primary.Mustache, min);
  const eyesOpen = flag(primary.EyesOpen, min);
  const emotion = dominantEmotion(primary, min);
  return {
    personPresent: true,
    faceCount: counted.length,
    smile: smile.value,
    smileConfidence: smile.confidence,
    eyeglasses: eyeglasses.value,
    eyeglassesConfidence: eyeglasses.confidence,
    sunglasses: sunglasses.value,
    sunglassesConfidence: sunglasses.confidence,
    beard: beard.value,
    beardConfidence: beard.confidence,
    mustache: mustache.value,
    mustacheConfidence: mustache.confidence,
    eyesOpen: eyesOpen.value,
    eyesOpenConfidence: eyesOpen.confidence,
    // AgeRange carries no confidence of its own: its width is the uncertainty.
    ageLow: primary.AgeRange?.Low ?? null,
    ageHigh: primary.AgeRange?.High ?? null,
    emotion: emotion.value,
    emotionConfidence: emotion.confidence,
  };
}

/**
 * The face the photo is about: the one in front of the camera, i.e. the largest box, weighted
 * by detection confidence (area × Confidence / 100) so a big but doubtful detection does not
 * beat a clear face. Ties go to the higher confidence, then to the earlier entry. A face
 * without a BoundingBox has area 0.
 */
export function primaryFace(faces: readonly FaceDetail[]): FaceDetail | undefined {
  let best: FaceDetail | undefined;
  let bestScore = -1;
  for (const face of faces) {
    const confidence = face.Confidence ?? 0;
    const score = boxArea(face) * (confidence / 100);
    if (score > bestScore || (score === bestScore && confidence > (best?.Confidence ?? 0))) {
      best = face;
      bestScore = score;
    }
  }
  return best;
}

/** Width × height as fractions of the image (Rekognition's BoundingBox ratios). */
function boxArea(face: FaceDetail): number {
  const width = face.BoundingBox?.Width ?? 0;
  const height = face.BoundingBox?.Height ?? 0;
  return Math.max(0, width) * Math.max(0, height);
}

interface Judged<T> {
  value: T | null;
  confidence: number | null;
}

const UNKNOWN: Judged<never> = { value: null, confidence: null };

function flag(attribute: FlagAttribute | undefined, min: number): Judged<boolean> {
  if (attribute?.Value === undefined || attribute.Confidence === undefined) return UNKNOWN;
  if (attribute.Confidence < min) return UNKNOWN;
  return { value: attribute.Value, confidence: attribute.Confidence };
}

/** The highest-confidence emotion; unknown when there is none or it is under `min`. */
function dominantEmotion(face: FaceDetail, min: number): Judged<string> {
  let best: Judged<string> = UNKNOWN;
  for (const emotion of face.Emotions ?? []) {
    if (emotion.Type === undefined || emotion.Confidence === undefined) continue;
    if (best.confidence === null || emotion.Confidence > best.confidence) {
      best = { value: emotion.Type, confidence: emotion.Confidence };
    }
  }
  return best.confidence !== null && best.confidence >= min ? best : UNKNOWN;
}
