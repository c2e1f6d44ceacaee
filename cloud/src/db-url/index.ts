export { type DatabaseTarget, describeDatabaseTarget } from './database-target.js';
export { DatabaseUrlError } from './database-url-error.js';
export { openDatabaseFromUrl, openDatabaseTarget } from './open-database-from-url.js';
export { type ParseDatabaseUrlOptions, parseDatabaseUrl } from './parse-database-url.js';
