export { type AnalyzedPhoto, analyzePhoto } from './analyze-photo.js';
export { toIngestRecord } from './coffee-stream-record.js';
export { handlePhotoEvent, type PhotoEventSummary } from './handle-photo-event.js';
export { type PhotoHandlerConfig, readPhotoHandlerConfig } from './photo-handler-config.js';
export { type PhotoStore, PhotoStoreUnavailableError, type StoredPhotoInfo } from './photo-store.js';
export {
  type PhotoBatchResult,
  PhotoBatchRetryError,
  type PhotoFailure,
  type PhotoPipelineDeps,
  processPhotos,
} from './process-photos.js';
export { type CreatedObject, decodeS3Key, parseS3Event } from './s3-event.js';
export { createS3Client, createS3PhotoStore } from './s3-photo-store.js';
