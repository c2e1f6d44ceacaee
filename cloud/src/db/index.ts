// The database layer's public API: the rest of the cloud workspace imports from here.
export type { CoffeeDatabase } from './coffee-database.js';
export {
  type CoffeeRepository,
  DatabaseResumingError,
  DatabaseUnavailableError,
  type NewCoffee,
  type RecordCoffeeOutcome,
  type StoredCoffee,
} from './coffee-repository.js';
export { CoffeeRowError } from './coffee-row.js';
export {
  type DataApiDatabaseOptions,
  DataApiDialect,
  DataApiStatementError,
  DataApiUnsupportedError,
  openDataApiDatabase,
} from './data-api-dialect.js';
export { DataApiResultError } from './data-api-rows.js';
export { DataApiParameterError } from './data-api-sql.js';
export { DatabaseConnectError } from './database-errors.js';
export {
  createDeviceRepository,
  type Device,
  type DeviceChanges,
  type DeviceRepository,
  InvalidDeviceChangeError,
} from './device-repository.js';
export { dialectOf, type SqlDialectName } from './dialect.js';
export {
  DATABASE_MODES,
  type DataApiLambdaDatabaseConfig,
  type LambdaDatabaseConfig,
  type MysqlLambdaDatabaseConfig,
  readLambdaDatabaseConfig,
} from './lambda-database-config.js';
export {
  currentMigration,
  LATEST_MIGRATION,
  MigrationError,
  type MigrationReport,
  migrateTo,
  migrateToLatest,
} from './migrate.js';
export { type MysqlConnectionOptions, MysqlOptionsError, openMysqlDatabase } from './mysql-database.js';
export type { CoffeesTable, Database, DbFlag, DbTime, DevicesTable } from './schema.js';
export {
  DatabaseSecretFormatError,
  openMysqlDatabaseFromSecret,
  type SecretDatabaseOptions,
} from './secret-credentials.js';
export {
  type CoffeeRepositoryOptions,
  createCoffeeRepository,
  UnknownPhotoKeyError,
} from './sql-coffee-repository.js';
export { openSqliteDatabase, type SqliteOptions } from './sqlite-database.js';
export { fromDbTime, fromDbTimeOrNull, toDbTime } from './time.js';
