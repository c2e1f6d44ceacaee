import { type FaceAttributes, UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';

/** One face as human reported it: box in pixels [x, y, width, height], scores in 0…1. */
export interface HumanFace {
  score: number;
  boxScore: number;
  faceScore: number;
  box: [number, number, number, number];
  /** Whether the face mesh ran on this face: human's blink gestures exist only then. */
  hasMesh: boolean;
  /** Age estimate in years, when the description model ran. */
  age: number | null;
  /** Emotions with scores, best first as human gives them (it drops those under its threshold). */
  emotion: { emotion: string; score: number }[];
}

/** The cloneable subset of human's Result that the mapping needs (crosses the worker boundary). */
export interface HumanDetections {
  width: number;
  height: number;
  faces: HumanFace[];
  /** Face gestures: `blink left eye`, `facing center`, `mouth 20% open`, … by face index. */
  gestures: { face: number; gesture: string }[];
}

/** Faces below this score are not counted (human's detector also reports weak candidates). */
export const FACE_SCORE_THRESHOLD = 0.5;
/** Half-width of the age range built around human's single age estimate, in years. */
export const AGE_HALF_RANGE = 5;

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * human's answer → our FaceAttributes, the way Rekognition's would read. Attributes human has no
 * model for (eyeglasses, sunglasses, beard, mustache) are null: never guessed.
 */
export function mapHumanResult(d: HumanDetections): FaceAttributes {
  const faces = d.faces
    .map((face, index) => ({ face, index }))
    .filter(({ face }) => face.score >= FACE_SCORE_THRESHOLD);
  // Everything starts unknown; only what the model really gives is filled in below.
  const base: FaceAttributes = {
    ...UNKNOWN_FACE_ATTRIBUTES,
    personPresent: faces.length > 0,
    faceCount: faces.length,
  };
  // The primary face: the largest box, weighted by how sure the detector is.
  let primary: (typeof faces)[number] | undefined;
  let best = -1;
  for (const f of faces) {
    const weight = f.face.box[2] * f.face.box[3] * f.face.score;
    if (weight > best) [primary, best] = [f, weight];
  }
  if (!primary) return base;
  const { face, index } = primary;

  const dominant = [...face.emotion].sort((a, b) => b.score - a.score)[0];
  if (dominant) {
    base.emotion = dominant.emotion.toUpperCase();
    base.emotionConfidence = round1(dominant.score * 100);
    // A proxy: human has no smile model, so "smiling" means its dominant emotion is happy; the
    // confidence is that emotion's score (for "not smiling", the dominant emotion's score).
    base.smile = dominant.emotion === 'happy';
    base.smileConfidence = round1(dominant.score * 100);
  }

  if (face.age !== null && Number.isFinite(face.age)) {
    // human gives one estimate; Rekognition a range: estimate ± AGE_HALF_RANGE years, rounded.
    base.ageLow = Math.max(0, Math.round(face.age - AGE_HALF_RANGE));
    base.ageHigh = Math.round(face.age + AGE_HALF_RANGE);
  }

  if (face.hasMesh) {
    // human's blink gestures come from the mesh's eyelid distances (a threshold, no score): both
    // eyes open → true, both closed → false, one closed (a wink, or a half-hidden eye) → unknown.
    const blinks = d.gestures.filter((g) => g.face === index && g.gesture.startsWith('blink ')).length;
    base.eyesOpen = blinks === 0 ? true : blinks >= 2 ? false : null;
  }
  return base;
}

/** What is kept as `faceDetails`: what the model said, small (no meshes, no embeddings). */
export function humanFaceDetails(d: HumanDetections): unknown {
  return {
    model: '@vladmandic/human',
    imageWidth: d.width,
    imageHeight: d.height,
    faces: d.faces.map((f, i) => ({
      box: f.box.map(Math.round),
      score: round3(f.score),
      boxScore: round3(f.boxScore),
      faceScore: round3(f.faceScore),
      age: f.age === null ? null : round1(f.age),
      emotion: f.emotion.map((e) => ({ emotion: e.emotion, score: round3(e.score) })),
      gestures: d.gestures.filter((g) => g.face === i).map((g) => g.gesture),
    })),
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
