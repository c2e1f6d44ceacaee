export { FakePhotoUploader } from './fake-photo-uploader.js';
export { classifyS3Error } from './s3-errors.js';
export { type CredentialSource, S3PhotoUploader, type S3PhotoUploaderOptions } from './s3-photo-uploader.js';
export { UploadWorker, type UploadWorkerOptions, type UploadWorkerStats } from './upload-worker.js';
export * from './uploader-port.js';
