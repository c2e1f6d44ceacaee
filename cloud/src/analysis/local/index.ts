export {
  createLocalFaceAnalyzer,
  type LocalFaceAnalyzer,
  type LocalFaceAnalyzerOptions,
} from './local-analyzer.js';
export {
  AGE_HALF_RANGE,
  FACE_SCORE_THRESHOLD,
  type HumanDetections,
  type HumanFace,
  humanFaceDetails,
  mapHumanResult,
} from './map-human-result.js';
