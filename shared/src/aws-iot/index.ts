export * from './jobs.js';
export * from './provisioning.js';
export * from './shadow.js';
export * from './topic-filter-match.js';
