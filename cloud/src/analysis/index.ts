export {
  AnalyzerUnavailableError,
  type FaceAnalysis,
  type FaceAnalyzer,
  type PhotoLocation,
  UnanalyzablePhotoError,
} from './face-analyzer.js';
export {
  DEFAULT_FACE_THRESHOLDS,
  type FaceThresholds,
  primaryFace,
  toFaceAttributes,
} from './face-details.js';
export { PHOTO_SNIFF_BYTES, REKOGNITION_LIMITS, sniffPhoto, unanalyzableReason } from './photo-format.js';
export { createRekognitionAnalyzer, REKOGNITION_ANALYZER_NAME } from './rekognition-analyzer.js';
