import { EnvReader } from '../config/env.js';

export interface SchemaResourceConfig {
  /** ARN of the database's Secrets Manager secret (username, password, host, port, dbname). */
  dbSecretArn: string;
  /** RDS Proxy endpoint to connect through instead of the secret's host. */
  dbHost: string | undefined;
  /** Database name when the secret has none. */
  dbName: string | undefined;
}

/** The migration function's environment; throws EnvironmentError naming every problem at once. */
export function readSchemaResourceConfig(
  env: Readonly<Record<string, string | undefined>>,
): SchemaResourceConfig {
  const reader = new EnvReader(env);
  const config: SchemaResourceConfig = {
    dbSecretArn: reader.string('DB_SECRET_ARN'),
    dbHost: reader.optionalString('DB_HOST'),
    dbName: reader.optionalString('DB_NAME'),
  };
  reader.done();
  return config;
}
