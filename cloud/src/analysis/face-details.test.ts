import type { FaceDetail } from '@aws-sdk/client-rekognition';
import { UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FACE_THRESHOLDS, primaryFace, toFaceAttributes } from './face-details.js';

const THRESHOLDS = { minFaceConfidence: 90, minAttributeConfidence: 80 };

/** A face with only the fields these rules read; the analyzer tests use the full documented shape. */
function face(fields: FaceDetail = {}): FaceDetail {
  return {
    BoundingBox: { Width: 0.2, Height: 0.3, Left: 0.4, Top: 0.2 },
    Confidence: 99.9,
    ...fields,
  };
}

describe('toFaceAttributes', () => {
  it('uses 90 for faces and 80 for attributes by default', () => {
    expect(DEFAULT_FACE_THRESHOLDS).toEqual({ minFaceConfidence: 90, minAttributeConfidence: 80 });
  });

  it('reports nobody there, with every attribute unknown, when there is no face', () => {
    expect(toFaceAttributes([], THRESHOLDS)).toEqual({
      ...UNKNOWN_FACE_ATTRIBUTES,
      personPresent: false,
      faceCount: 0,
    });
  });

  it('does not count faces under the face confidence threshold', () => {
    const faces = [face({ Confidence: 99 }), face({ Confidence: 89.99 }), face({ Confidence: undefined })];
    expect(toFaceAttributes(faces, THRESHOLDS).faceCount).toBe(1);
    const onlyDoubtful = toFaceAttributes(
      [face({ Confidence: 60, Smile: { Value: true, Confidence: 99 } })],
      THRESHOLDS,
    );
    expect(onlyDoubtful).toEqual({ ...UNKNOWN_FACE_ATTRIBUTES, personPresent: false, faceCount: 0 });
  });

  it('counts a face exactly at the threshold', () => {
    expect(toFaceAttributes([face({ Confidence: 90 })], THRESHOLDS).faceCount).toBe(1);
  });

  it('copies each confident yes/no attribute with its confidence', () => {
    const attributes = toFaceAttributes(
      [
        face({
          Smile: { Value: true, Confidence: 97.5 },
          Eyeglasses: { Value: false, Confidence: 88.1 },
          Sunglasses: { Value: true, Confidence: 99.2 },
          Beard: { Value: false, Confidence: 80 },
          Mustache: { Value: true, Confidence: 91 },
          EyesOpen: { Value: false, Confidence: 85.25 },
        }),
      ],
      THRESHOLDS,
    );
    expect(attributes).toMatchObject({
      personPresent: true,
      faceCount: 1,
      smile: true,
      smileConfidence: 97.5,
      eyeglasses: false,
      eyeglassesConfidence: 88.1,
      sunglasses: true,
      sunglassesConfidence: 99.2,
      beard: false,
      beardConfidence: 80,
      mustache: true,
      mustacheConfidence: 91,
      eyesOpen: false,
      eyesOpenConfidence: 85.25,
    });
  });

  it('leaves an attribute under the threshold unknown instead of guessing', () => {
    const attributes = toFaceAttributes(
      [face({ Smile: { Value: true, Confidence: 79.9 }, Beard: { Value: false, Confidence: 12 } })],
      THRESHOLDS,
    );
    expect(attributes).toMatchObject({
      smile: null,
      smileConfidence: null,
      beard: null,
      beardConfidence: null,
    });
  });

  it('leaves missing or half-given attributes unknown', () => {
    const attributes = toFaceAttributes(
      [face({ Smile: { Confidence: 99 }, Eyeglasses: { Value: true }, AgeRange: { Low: 25 } })],
      THRESHOLDS,
    );
    expect(attributes).toMatchObject({
      personPresent: true,
      faceCount: 1,
      smile: null,
      smileConfidence: null,
      eyeglasses: null,
      eyeglassesConfidence: null,
      sunglasses: null,
      mustache: null,
      eyesOpen: null,
      ageLow: 25,
      ageHigh: null,
      emotion: null,
      emotionConfidence: null,
    });
  });

  it('reads the age range as given', () => {
    expect(toFaceAttributes([face({ AgeRange: { Low: 31, High: 39 } })], THRESHOLDS)).toMatchObject({
      ageLow: 31,
      ageHigh: 39,
    });
  });

  it('takes the most confident emotion, whatever order Rekognition lists them in', () => {
    const attributes = toFaceAttributes(
      [
        face({
          Emotions: [
            { Type: 'CALM', Confidence: 4.1 },
            { Type: 'HAPPY', Confidence: 93.6 },
            { Type: 'SURPRISED', Confidence: 1.2 },
          ],
        }),
      ],
      THRESHOLDS,
    );
    expect(attributes).toMatchObject({ emotion: 'HAPPY', emotionConfidence: 93.6 });
  });

  it('leaves the emotion unknown when even the strongest is under the threshold', () => {
    const attributes = toFaceAttributes(
      [
        face({
          Emotions: [
            { Type: 'CALM', Confidence: 45 },
            { Type: 'CONFUSED', Confidence: 40 },
          ],
        }),
      ],
      THRESHOLDS,
    );
    expect(attributes).toMatchObject({ emotion: null, emotionConfidence: null });
  });

  it('takes the attributes of the primary face and counts all confident faces', () => {
    const small = face({
      BoundingBox: { Width: 0.05, Height: 0.08 },
      Smile: { Value: false, Confidence: 99 },
    });
    const big = face({ BoundingBox: { Width: 0.3, Height: 0.45 }, Smile: { Value: true, Confidence: 95 } });
    expect(toFaceAttributes([small, big], THRESHOLDS)).toMatchObject({
      faceCount: 2,
      smile: true,
      smileConfidence: 95,
    });
  });

  it('honours other thresholds', () => {
    const faces = [face({ Confidence: 95, Smile: { Value: true, Confidence: 97 } })];
    const strict = toFaceAttributes(faces, { minFaceConfidence: 90, minAttributeConfidence: 99 });
    expect(strict).toMatchObject({ faceCount: 1, smile: null });
    const stricter = toFaceAttributes(faces, { minFaceConfidence: 99, minAttributeConfidence: 99 });
    expect(stricter).toMatchObject({ personPresent: false, faceCount: 0, smile: null });
  });
});

describe('primaryFace', () => {
  it('is the largest box', () => {
    const faces = [
      face({ BoundingBox: { Width: 0.1, Height: 0.1 } }),
      face({ BoundingBox: { Width: 0.3, Height: 0.4 } }),
      face({ BoundingBox: { Width: 0.2, Height: 0.2 } }),
    ];
    expect(primaryFace(faces)).toBe(faces[1]);
  });

  it('weighs the box by detection confidence', () => {
    // 0.25 × 0.91 = 0.2275 against 0.24 × 0.999 = 0.23976: the slightly smaller, surer face wins.
    const doubtful = face({ BoundingBox: { Width: 0.5, Height: 0.5 }, Confidence: 91 });
    const sure = face({ BoundingBox: { Width: 0.4, Height: 0.6 }, Confidence: 99.9 });
    expect(primaryFace([doubtful, sure])).toBe(sure);
  });

  it('breaks a tie by the higher confidence', () => {
    // Same weighted score, exact in binary: 0.5 × 0.5 = 0.25 × 1.
    const a = face({ BoundingBox: { Width: 1, Height: 0.5 }, Confidence: 50 });
    const b = face({ BoundingBox: { Width: 0.25, Height: 1 }, Confidence: 100 });
    expect(primaryFace([a, b])).toBe(b);
    expect(primaryFace([b, a])).toBe(b);
  });

  it('treats a face without a box as the smallest', () => {
    const unboxed = face({ BoundingBox: undefined, Confidence: 99.99 });
    const boxed = face({ BoundingBox: { Width: 0.01, Height: 0.01 }, Confidence: 91 });
    expect(primaryFace([unboxed, boxed])).toBe(boxed);
  });

  it('is undefined for no faces', () => {
    expect(primaryFace([])).toBeUndefined();
  });
});
