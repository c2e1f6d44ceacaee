import { EnvReader } from '../config/env.js';
import { type LambdaDatabaseConfig, readLambdaDatabaseConfig } from '../db/lambda-database-config.js';

/**
 * The migration function's database, read like every Lambda's (see db/lambda-database-config.ts):
 * the Data API (DATABASE_MODE=data-api, DB_CLUSTER_ARN, DB_SECRET_ARN, DB_NAME) or mysql2 through
 * RDS Proxy (DB_SECRET_ARN; DB_HOST and DB_NAME override the secret's host and dbname).
 */
export type SchemaResourceConfig = LambdaDatabaseConfig;

/** The migration function's environment; throws EnvironmentError naming every problem at once. */
export function readSchemaResourceConfig(
  env: Readonly<Record<string, string | undefined>>,
): SchemaResourceConfig {
  const reader = new EnvReader(env);
  const config = readLambdaDatabaseConfig(reader);
  reader.done();
  return config;
}
