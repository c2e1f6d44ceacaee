import {
  DetectFacesCommand,
  ImageTooLargeException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { type FaceAttributes, UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeFaceAnalyzer, faceAnalysis, noFaceAnalysis } from '../testing/fake-analyzer.js';
import {
  AnalyzerUnavailableError,
  type FaceAnalysis,
  type FaceAnalyzer,
  UnanalyzablePhotoError,
} from './face-analyzer.js';
import { createRekognitionAnalyzer } from './rekognition-analyzer.js';

const PHOTO = {
  bucket: 'coffee-photos',
  key: 'photos/coffee-pi-1/2026/03/14/0b5c3c8e-2f4e-4c43-9a53-3f6f2f1a9d10.jpg',
};

/** Sets up what the analyzer will see for the next photo, the way each implementation can. */
interface AnalyzerUnderTest {
  analyzer: FaceAnalyzer;
  nextPhotoHasOneSmilingFace(): void;
  nextPhotoHasNobody(): void;
  nextPhotoIsTooLarge(): void;
  nextCallIsThrottled(): void;
}

const rekognition = mockClient(RekognitionClient);
beforeEach(() => rekognition.reset());
afterAll(() => rekognition.restore());

function rekognitionAnalyzer(): AnalyzerUnderTest {
  const $metadata = {};
  // One behaviour for the command, so queued answers come in order (each `.on()` starts its own count).
  const next = rekognition.on(DetectFacesCommand);
  return {
    analyzer: createRekognitionAnalyzer({ client: new RekognitionClient({ region: 'eu-west-1' }) }),
    nextPhotoHasOneSmilingFace() {
      next.resolvesOnce({
        FaceDetails: [
          {
            BoundingBox: { Width: 0.25, Height: 0.45, Left: 0.35, Top: 0.2 },
            AgeRange: { Low: 30, High: 38 },
            Smile: { Value: true, Confidence: 97.2 },
            Eyeglasses: { Value: false, Confidence: 96.4 },
            Sunglasses: { Value: false, Confidence: 99.8 },
            Beard: { Value: false, Confidence: 93.5 },
            Mustache: { Value: false, Confidence: 98.9 },
            EyesOpen: { Value: true, Confidence: 98.1 },
            MouthOpen: { Value: true, Confidence: 90.3 },
            Emotions: [
              { Type: 'HAPPY', Confidence: 97.9 },
              { Type: 'CALM', Confidence: 1.1 },
            ],
            Confidence: 99.98,
          },
        ],
        $metadata,
      });
    },
    nextPhotoHasNobody() {
      next.resolvesOnce({ FaceDetails: [], $metadata });
    },
    nextPhotoIsTooLarge() {
      next.rejectsOnce(new ImageTooLargeException({ message: 'Image size is too large.', $metadata }));
    },
    nextCallIsThrottled() {
      next.rejectsOnce(new ThrottlingException({ message: 'Slow down', $metadata }));
    },
  };
}

function fakeAnalyzer(): AnalyzerUnderTest {
  const fake = new FakeFaceAnalyzer();
  return {
    analyzer: fake,
    nextPhotoHasOneSmilingFace: () => fake.willReturn(faceAnalysis({ smile: true, smileConfidence: 97.2 })),
    nextPhotoHasNobody: () => fake.willReturn(noFaceAnalysis()),
    nextPhotoIsTooLarge: () =>
      fake.willThrow(new UnanalyzablePhotoError('ImageTooLargeException: too large')),
    nextCallIsThrottled: () => fake.willThrow(new AnalyzerUnavailableError('throttled')),
  };
}

const ATTRIBUTE_KEYS = Object.keys(UNKNOWN_FACE_ATTRIBUTES).sort();
const FLAGS = ['smile', 'eyeglasses', 'sunglasses', 'beard', 'mustache', 'eyesOpen', 'emotion'] as const;

/** What every analysis must look like, whoever made it. */
function expectWellFormed(analysis: FaceAnalysis, analyzer: FaceAnalyzer): void {
  expect(Object.keys(analysis).sort()).toEqual([...ATTRIBUTE_KEYS, 'analyzer', 'faceDetails'].sort());
  expect(analysis.analyzer).toBe(analyzer.name);
  expect(analysis.personPresent).toBe((analysis.faceCount ?? 0) > 0);
  for (const flag of FLAGS) {
    const confidence = analysis[`${flag}Confidence` as keyof FaceAttributes];
    // A value comes with its confidence, and unknown means both are null.
    expect(confidence === null, `${flag} and its confidence are both known or both null`).toBe(
      analysis[flag] === null,
    );
    if (typeof confidence === 'number') {
      expect(confidence).toBeGreaterThanOrEqual(0);
      expect(confidence).toBeLessThanOrEqual(100);
    }
  }
  // The raw answer goes into a JSON column.
  expect(() => JSON.stringify(analysis.faceDetails)).not.toThrow();
}

describe.each([
  ['Rekognition (mocked client)', rekognitionAnalyzer],
  ['FakeFaceAnalyzer', fakeAnalyzer],
])('FaceAnalyzer contract: %s', (_label, create) => {
  it('describes a face it finds', async () => {
    const under = create();
    under.nextPhotoHasOneSmilingFace();
    const analysis = await under.analyzer.analyze(PHOTO);
    expectWellFormed(analysis, under.analyzer);
    expect(analysis).toMatchObject({ personPresent: true, faceCount: 1, smile: true });
  });

  it('says nobody is there, and knows nothing else, when there is no face', async () => {
    const under = create();
    under.nextPhotoHasNobody();
    const analysis = await under.analyzer.analyze(PHOTO);
    expectWellFormed(analysis, under.analyzer);
    expect(analysis).toMatchObject({ ...UNKNOWN_FACE_ATTRIBUTES, personPresent: false, faceCount: 0 });
  });

  it('throws UnanalyzablePhotoError with a reason when the photo is the problem', async () => {
    const under = create();
    under.nextPhotoIsTooLarge();
    const thrown = await under.analyzer.analyze(PHOTO).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UnanalyzablePhotoError);
    expect((thrown as UnanalyzablePhotoError).reason).toMatch(/^ImageTooLargeException: /);
  });

  it('throws AnalyzerUnavailableError when it cannot answer now, and answers the next call', async () => {
    const under = create();
    under.nextCallIsThrottled();
    under.nextPhotoHasNobody();
    await expect(under.analyzer.analyze(PHOTO)).rejects.toBeInstanceOf(AnalyzerUnavailableError);
    expectWellFormed(await under.analyzer.analyze(PHOTO), under.analyzer);
  });
});
