export * from './camera-port.js';
export { type ExecutableLookup, pathLookup } from './find-executable.js';
export { checkJpeg, type JpegCheck } from './jpeg-check.js';
export {
  defaultDemoPhotoDir,
  MockCamera,
  type MockCameraFailure,
  type MockCameraOptions,
} from './mock-camera.js';
export { TEMP_PHOTO_PREFIX, TEMP_PHOTO_SUFFIX } from './photo-file.js';
export {
  type CameraProgram,
  DEFAULT_CAMERA_COMMANDS,
  RpicamCamera,
  type RpicamCameraOptions,
  type SpawnCamera,
} from './rpicam-camera.js';
export { buildStillArgs } from './still-args.js';
