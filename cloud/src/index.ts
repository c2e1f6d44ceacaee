// The cloud side as a library, for the local stack and tools. Lambda handlers (src/handlers/)
// import the modules they need directly, so their bundles carry no SQLite, CLI or unused SDK.
export * from './analysis/index.js';
export { createLocalFaceAnalyzer, type LocalFaceAnalyzer } from './analysis/local/index.js';
export { EnvironmentError, EnvReader } from './config/env.js';
export type * from './dashboard-api/snapshot-types.js';
export * from './db/index.js';
export * from './db-url/index.js';
export * from './fleet-provisioning/pre-provisioning-decision.js';
export * from './fleet-provisioning/sql-serial-allow-list.js';
export { asS3Notification, encodeS3Key } from './local/s3-notification.js';
export { createCloudLogger, type Logger, silentLogger } from './logging/logger.js';
export * from './photos/index.js';
export * from './stats/index.js';
export * from './stream/index.js';
