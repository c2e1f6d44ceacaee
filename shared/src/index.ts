export * from './coffee-record.js';
export * from './errors.js';
export * from './jpeg-size.js';
export * from './limits.js';
export * from './photos.js';
export * from './telemetry.js';
export * from './topics.js';
export * from './validate.js';
