import {
  DetectFacesCommand,
  type FaceDetail,
  type Image,
  type RekognitionClient,
} from '@aws-sdk/client-rekognition';
import {
  AnalyzerUnavailableError,
  type FaceAnalysis,
  type FaceAnalyzer,
  type PhotoLocation,
  UnanalyzablePhotoError,
} from './face-analyzer.js';
import { DEFAULT_FACE_THRESHOLDS, type FaceThresholds, toFaceAttributes } from './face-details.js';

export interface RekognitionAnalyzerOptions {
  /** Created once per Lambda container and injected (its retries and timeouts are its own). */
  client: RekognitionClient;
  /** Defaults: DEFAULT_FACE_THRESHOLDS. */
  thresholds?: Partial<FaceThresholds>;
  /**
   * Send the photo's bytes (Image.Bytes, up to 5 MB) instead of naming the S3 object: for the
   * local stack's `--aws`, whose bucket Rekognition cannot reach. Unset: Image.S3Object.
   */
  readPhotoBytes?: (photo: PhotoLocation) => Promise<Uint8Array>;
}

export const REKOGNITION_ANALYZER_NAME = 'rekognition';

/**
 * The photo itself is the problem: another try gives the same answer, so the photo is recorded
 * as unanalyzable. InvalidS3ObjectException is deliberately not here: the pipeline has just read
 * the object's head, so the object exists, and Rekognition gives that answer when the function's
 * role lacks s3:GetObject (or kms:Decrypt). A deployment fault must not turn a run of good photos
 * into permanent "unanalyzable" rows: it is retried and ends in the on-failure destination.
 */
const PERMANENT = new Set([
  'InvalidImageFormatException',
  'ImageTooLargeException',
  'InvalidParameterException',
]);

/**
 * The Rekognition adapter (the only module that imports its SDK): one DetectFaces per photo,
 * read straight from S3, with every attribute (`ALL`).
 */
export function createRekognitionAnalyzer(options: RekognitionAnalyzerOptions): FaceAnalyzer {
  const { client } = options;
  // Field by field, so a threshold passed as undefined keeps its default.
  const thresholds: FaceThresholds = {
    minFaceConfidence: options.thresholds?.minFaceConfidence ?? DEFAULT_FACE_THRESHOLDS.minFaceConfidence,
    minAttributeConfidence:
      options.thresholds?.minAttributeConfidence ?? DEFAULT_FACE_THRESHOLDS.minAttributeConfidence,
  };
  return {
    name: REKOGNITION_ANALYZER_NAME,
    async analyze(photo: PhotoLocation): Promise<FaceAnalysis> {
      let faces: FaceDetail[];
      try {
        const image = options.readPhotoBytes
          ? { Bytes: await options.readPhotoBytes(photo) }
          : { S3Object: { Bucket: photo.bucket, Name: photo.key } };
        faces = await detectFaces(client, image);
      } catch (error) {
        throw classifyRekognitionError(error, photo);
      }
      return {
        ...toFaceAttributes(faces, thresholds),
        analyzer: REKOGNITION_ANALYZER_NAME,
        faceDetails: faces,
      };
    },
  };
}

async function detectFaces(client: RekognitionClient, image: Image): Promise<FaceDetail[]> {
  const output = await client.send(new DetectFacesCommand({ Image: image, Attributes: ['ALL'] }));
  // No FaceDetails is how an empty answer may look on the wire: no faces, not an error.
  return output.FaceDetails ?? [];
}

/**
 * Anything DetectFaces throws, as the port's two errors. Unknown errors count as transient:
 * the event is retried, and a permanent one we did not list ends in the function's on-failure
 * destination after the retries instead of being recorded wrongly or lost.
 */
export function classifyRekognitionError(
  error: unknown,
  photo: PhotoLocation,
): UnanalyzablePhotoError | AnalyzerUnavailableError {
  const { name, message } = describe(error);
  const target = `s3://${photo.bucket}/${photo.key}`;
  if (PERMANENT.has(name)) return new UnanalyzablePhotoError(`${name}: ${message}`, { cause: error });
  if (name === 'AccessDeniedException') {
    return new AnalyzerUnavailableError(
      `Rekognition DetectFaces on ${target} was refused (${name}: ${message}): the function's role needs rekognition:DetectFaces, and s3:GetObject on the photo bucket`,
      { cause: error },
    );
  }
  return new AnalyzerUnavailableError(
    `Rekognition DetectFaces on ${target} failed (${name}: ${message}); retrying may work`,
    { cause: error },
  );
}

function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) {
    // Network failures carry their reason in `code` (ECONNRESET, ETIMEDOUT, …), not in `name`.
    const code = (error as { code?: unknown }).code;
    const name = error.name === 'Error' && typeof code === 'string' ? code : error.name;
    return { name, message: error.message };
  }
  return { name: 'Error', message: String(error) };
}
