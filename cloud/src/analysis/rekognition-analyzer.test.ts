import {
  AccessDeniedException,
  DetectFacesCommand,
  type DetectFacesCommandOutput,
  type FaceDetail,
  ImageTooLargeException,
  InternalServerError,
  InvalidImageFormatException,
  InvalidParameterException,
  InvalidS3ObjectException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AnalyzerUnavailableError, UnanalyzablePhotoError } from './face-analyzer.js';
import { createRekognitionAnalyzer } from './rekognition-analyzer.js';

const PHOTO = {
  bucket: 'coffee-photos',
  key: 'photos/coffee-pi-1/2026/03/14/0b5c3c8e-2f4e-4c43-9a53-3f6f2f1a9d10.jpg',
};

/**
 * One face as DetectFaces with Attributes ["ALL"] returns it (API_FaceDetail): every field,
 * all eight emotions, landmarks as image ratios. Values are illustrative.
 */
function faceDetail(overrides: Partial<FaceDetail> = {}): FaceDetail {
  return {
    BoundingBox: { Width: 0.2343, Height: 0.4718, Left: 0.3927, Top: 0.1627 },
    AgeRange: { Low: 29, High: 37 },
    Smile: { Value: true, Confidence: 96.81 },
    Eyeglasses: { Value: false, Confidence: 98.12 },
    Sunglasses: { Value: false, Confidence: 99.94 },
    Gender: { Value: 'Female', Confidence: 99.21 },
    Beard: { Value: false, Confidence: 97.43 },
    Mustache: { Value: false, Confidence: 99.12 },
    EyesOpen: { Value: true, Confidence: 97.68 },
    MouthOpen: { Value: true, Confidence: 89.45 },
    Emotions: [
      { Type: 'HAPPY', Confidence: 98.83 },
      { Type: 'SURPRISED', Confidence: 0.41 },
      { Type: 'CALM', Confidence: 0.2 },
      { Type: 'CONFUSED', Confidence: 0.14 },
      { Type: 'FEAR', Confidence: 0.12 },
      { Type: 'SAD', Confidence: 0.11 },
      { Type: 'ANGRY', Confidence: 0.1 },
      { Type: 'DISGUSTED', Confidence: 0.09 },
    ],
    Landmarks: [
      { Type: 'eyeLeft', X: 0.4484, Y: 0.3491 },
      { Type: 'eyeRight', X: 0.5557, Y: 0.3525 },
      { Type: 'mouthLeft', X: 0.4596, Y: 0.5186 },
      { Type: 'mouthRight', X: 0.5473, Y: 0.5213 },
      { Type: 'nose', X: 0.5, Y: 0.4384 },
    ],
    Pose: { Roll: 1.53, Yaw: -2.05, Pitch: 7.88 },
    Quality: { Brightness: 81.41, Sharpness: 92.23 },
    Confidence: 99.99,
    FaceOccluded: { Value: false, Confidence: 99.48 },
    EyeDirection: { Yaw: 1.34, Pitch: -6.21, Confidence: 99.1 },
    ...overrides,
  };
}

function detected(faces: FaceDetail[]): DetectFacesCommandOutput {
  return {
    FaceDetails: faces,
    $metadata: { httpStatusCode: 200, requestId: 'd1a2b3c4-0000-4000-8000-000000000001' },
  };
}

const rekognition = mockClient(RekognitionClient);
const analyzer = createRekognitionAnalyzer({ client: new RekognitionClient({ region: 'eu-west-1' }) });

beforeEach(() => rekognition.reset());
afterAll(() => rekognition.restore());

describe('Rekognition analyzer', () => {
  it('calls itself rekognition', () => {
    expect(analyzer.name).toBe('rekognition');
  });

  it('asks DetectFaces for every attribute of the S3 object', async () => {
    rekognition.on(DetectFacesCommand).resolves(detected([]));
    await analyzer.analyze(PHOTO);
    const calls = rekognition.commandCalls(DetectFacesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Image: { S3Object: { Bucket: PHOTO.bucket, Name: PHOTO.key } },
      Attributes: ['ALL'],
    });
  });

  it('sends the bytes instead when told to read them (a bucket Rekognition cannot reach)', async () => {
    rekognition.on(DetectFacesCommand).resolves(detected([faceDetail()]));
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const asked: unknown[] = [];
    const fromBytes = createRekognitionAnalyzer({
      client: new RekognitionClient({ region: 'eu-west-1' }),
      readPhotoBytes: async (photo) => {
        asked.push(photo);
        return bytes;
      },
    });
    const analysis = await fromBytes.analyze(PHOTO);
    expect(asked).toEqual([PHOTO]);
    expect(rekognition.commandCalls(DetectFacesCommand)[0]?.args[0].input).toEqual({
      Image: { Bytes: bytes },
      Attributes: ['ALL'],
    });
    expect(analysis.faceCount).toBe(1);
  });

  it('reports nobody there when no face is found', async () => {
    rekognition.on(DetectFacesCommand).resolves(detected([]));
    expect(await analyzer.analyze(PHOTO)).toEqual({
      ...UNKNOWN_FACE_ATTRIBUTES,
      personPresent: false,
      faceCount: 0,
      analyzer: 'rekognition',
      faceDetails: [],
    });
  });

  it('treats an answer without FaceDetails as no face', async () => {
    rekognition.on(DetectFacesCommand).resolves({ $metadata: {} });
    expect(await analyzer.analyze(PHOTO)).toMatchObject({
      personPresent: false,
      faceCount: 0,
      faceDetails: [],
    });
  });

  it('reports one face with its attributes and keeps the raw answer', async () => {
    const face = faceDetail();
    rekognition.on(DetectFacesCommand).resolves(detected([face]));
    expect(await analyzer.analyze(PHOTO)).toEqual({
      personPresent: true,
      faceCount: 1,
      smile: true,
      smileConfidence: 96.81,
      eyeglasses: false,
      eyeglassesConfidence: 98.12,
      sunglasses: false,
      sunglassesConfidence: 99.94,
      beard: false,
      beardConfidence: 97.43,
      mustache: false,
      mustacheConfidence: 99.12,
      eyesOpen: true,
      eyesOpenConfidence: 97.68,
      ageLow: 29,
      ageHigh: 37,
      emotion: 'HAPPY',
      emotionConfidence: 98.83,
      analyzer: 'rekognition',
      faceDetails: [face],
    });
  });

  it('describes the biggest of several faces and counts them all', async () => {
    const background = faceDetail({
      BoundingBox: { Width: 0.061, Height: 0.118, Left: 0.81, Top: 0.2 },
      Confidence: 99.2,
      Smile: { Value: false, Confidence: 93.1 },
      Beard: { Value: true, Confidence: 95.2 },
      AgeRange: { Low: 51, High: 61 },
      Emotions: [{ Type: 'CALM', Confidence: 91.7 }],
    });
    const inFront = faceDetail({ BoundingBox: { Width: 0.31, Height: 0.52, Left: 0.3, Top: 0.15 } });
    const blur = faceDetail({ BoundingBox: { Width: 0.5, Height: 0.6, Left: 0, Top: 0 }, Confidence: 62.4 });
    rekognition.on(DetectFacesCommand).resolves(detected([background, inFront, blur]));
    const analysis = await analyzer.analyze(PHOTO);
    expect(analysis).toMatchObject({
      personPresent: true,
      faceCount: 2,
      smile: true,
      beard: false,
      ageLow: 29,
      ageHigh: 37,
      emotion: 'HAPPY',
    });
    expect(analysis.faceDetails).toEqual([background, inFront, blur]);
  });

  it('reports sunglasses as Rekognition gives them, without deriving eyeglasses', async () => {
    rekognition.on(DetectFacesCommand).resolves(
      detected([
        faceDetail({
          Sunglasses: { Value: true, Confidence: 99.31 },
          Eyeglasses: { Value: false, Confidence: 90.2 },
          EyesOpen: { Value: true, Confidence: 62.5 },
          FaceOccluded: { Value: true, Confidence: 88.3 },
        }),
      ]),
    );
    expect(await analyzer.analyze(PHOTO)).toMatchObject({
      sunglasses: true,
      sunglassesConfidence: 99.31,
      eyeglasses: false,
      eyeglassesConfidence: 90.2,
      // Behind dark lenses Rekognition is unsure about the eyes: unknown, not a guess.
      eyesOpen: null,
      eyesOpenConfidence: null,
    });
  });

  it('passes both glasses flags through when Rekognition sets both', async () => {
    rekognition.on(DetectFacesCommand).resolves(
      detected([
        faceDetail({
          Sunglasses: { Value: true, Confidence: 97.5 },
          Eyeglasses: { Value: true, Confidence: 96.1 },
        }),
      ]),
    );
    expect(await analyzer.analyze(PHOTO)).toMatchObject({ sunglasses: true, eyeglasses: true });
  });

  it('leaves low-confidence attributes unknown', async () => {
    rekognition.on(DetectFacesCommand).resolves(
      detected([
        faceDetail({
          Smile: { Value: true, Confidence: 55.2 },
          Mustache: { Value: true, Confidence: 71.9 },
          Emotions: [
            { Type: 'CALM', Confidence: 48.3 },
            { Type: 'SAD', Confidence: 31.4 },
            { Type: 'CONFUSED', Confidence: 20.3 },
          ],
        }),
      ]),
    );
    expect(await analyzer.analyze(PHOTO)).toMatchObject({
      smile: null,
      smileConfidence: null,
      mustache: null,
      mustacheConfidence: null,
      emotion: null,
      emotionConfidence: null,
      beard: false,
    });
  });

  it('uses the thresholds it is given', async () => {
    const strict = createRekognitionAnalyzer({
      client: new RekognitionClient({ region: 'eu-west-1' }),
      thresholds: { minAttributeConfidence: 99 },
    });
    rekognition.on(DetectFacesCommand).resolves(detected([faceDetail()]));
    expect(await strict.analyze(PHOTO)).toMatchObject({
      faceCount: 1,
      smile: null,
      sunglasses: false,
      sunglassesConfidence: 99.94,
      mustache: false,
    });
  });

  describe('errors', () => {
    const $metadata = { httpStatusCode: 400, requestId: 'd1a2b3c4-0000-4000-8000-000000000002' };

    it.each([
      [
        'InvalidImageFormatException',
        new InvalidImageFormatException({ message: 'Request has invalid image format', $metadata }),
      ],
      [
        'ImageTooLargeException',
        new ImageTooLargeException({ message: 'Image size is too large.', $metadata }),
      ],
      [
        'InvalidParameterException',
        new InvalidParameterException({ message: 'Request has invalid parameters', $metadata }),
      ],
    ])('%s means the photo is unanalyzable, with the reason', async (name, error) => {
      rekognition.on(DetectFacesCommand).rejects(error);
      const thrown = await analyzer.analyze(PHOTO).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(UnanalyzablePhotoError);
      expect((thrown as UnanalyzablePhotoError).reason).toBe(`${name}: ${error.message}`);
      expect((thrown as Error).cause).toBe(error);
    });

    it.each([
      // The SDK models ThrottlingException as a server fault (5xx), ProvisionedThroughput… as a client one.
      [
        'ThrottlingException',
        new ThrottlingException({ message: 'Slow down', $metadata: { httpStatusCode: 500 } }),
      ],
      [
        'ProvisionedThroughputExceededException',
        new ProvisionedThroughputExceededException({
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      ],
      [
        'InternalServerError',
        new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } }),
      ],
      // The object exists (its head was just read): Rekognition says this when its role cannot read
      // it, a deployment fault that must not turn good photos into permanent unanalyzable rows.
      [
        'InvalidS3ObjectException',
        new InvalidS3ObjectException({
          message:
            'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
          $metadata,
        }),
      ],
    ])('%s means the analyzer is unavailable: retry', async (name, error) => {
      rekognition.on(DetectFacesCommand).rejects(error);
      const thrown = await analyzer.analyze(PHOTO).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(AnalyzerUnavailableError);
      expect((thrown as Error).message).toContain(name);
      expect((thrown as Error).message).toContain(`s3://${PHOTO.bucket}/${PHOTO.key}`);
      expect((thrown as Error).cause).toBe(error);
    });

    it('treats a network failure as unavailable', async () => {
      const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      rekognition.on(DetectFacesCommand).rejects(reset);
      const thrown = await analyzer.analyze(PHOTO).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(AnalyzerUnavailableError);
      expect((thrown as Error).message).toContain('ECONNRESET: socket hang up');
    });

    it('treats an error it does not know as unavailable, so the event is retried, not lost', async () => {
      const odd = Object.assign(new Error('something new'), { name: 'BrandNewException' });
      rekognition.on(DetectFacesCommand).rejects(odd);
      await expect(analyzer.analyze(PHOTO)).rejects.toBeInstanceOf(AnalyzerUnavailableError);
    });

    it('says which permissions are missing on AccessDeniedException', async () => {
      const denied = new AccessDeniedException({
        message:
          'User: arn:aws:sts::123456789012:assumed-role/photo-fn/photo-fn is not authorized to perform: rekognition:DetectFaces',
        $metadata,
      });
      rekognition.on(DetectFacesCommand).rejects(denied);
      const thrown = await analyzer.analyze(PHOTO).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(AnalyzerUnavailableError);
      expect((thrown as Error).message).toMatch(/role needs rekognition:DetectFaces, and s3:GetObject/);
      expect((thrown as Error).cause).toBe(denied);
    });
  });
});
