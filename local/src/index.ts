// The local stack as a library, for the end-to-end tests and the benchmarks.
export type { DashboardSnapshot, DeviceStatus, TelemetryPoint } from './dashboard/api-types.js';
export { ensureDevPki } from './pki/pki.js';
export { LOCAL_PHOTO_BUCKET } from './s3/local-s3.js';
export { type LocalStack, type StackCounters, startLocalStack } from './stack/local-stack.js';
export {
  DataDirError,
  DataDirInUseError,
  MissingNativeModuleError,
  PortInUseError,
} from './stack/stack-errors.js';
export { DEFAULT_STACK_OPTIONS, type LocalStackOptions, thingNames } from './stack/stack-options.js';
