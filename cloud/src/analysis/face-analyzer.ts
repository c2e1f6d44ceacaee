import type { FaceAttributes } from '@coffee-iot/shared';

/** Where the photo to analyse lives. */
export interface PhotoLocation {
  bucket: string;
  key: string;
}

export interface FaceAnalysis extends FaceAttributes {
  /** Which analyzer answered: `rekognition`, `local`, … */
  analyzer: string;
  /** The analyzer's raw answer (Rekognition FaceDetails), kept in the database as JSON. */
  faceDetails: unknown;
}

/**
 * The analyzer port: Rekognition DetectFaces in AWS, a local model in the local stack, a fake in
 * tests. Attributes it cannot tell are null, never guessed.
 *
 * Throws UnanalyzablePhotoError when the photo itself is the problem (permanent: recorded, not
 * retried) and AnalyzerUnavailableError when trying again later may work (the handler throws so
 * Lambda retries).
 */
export interface FaceAnalyzer {
  readonly name: string;
  analyze(photo: PhotoLocation): Promise<FaceAnalysis>;
}

/** The photo breaks the analyzer's limits or format; trying again will not help. */
export class UnanalyzablePhotoError extends Error {
  override readonly name = 'UnanalyzablePhotoError';
  constructor(
    /** Short reason stored with the coffee row, e.g. "ImageTooLargeException: …". */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** The analyzer is throttled, down or unreachable; the photo may be fine. */
export class AnalyzerUnavailableError extends Error {
  override readonly name = 'AnalyzerUnavailableError';
}
