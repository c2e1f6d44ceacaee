import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CoffeeDatabase } from './coffee-database.js';
import { openMysqlDatabaseFromSecret } from './secret-credentials.js';

/** What every Lambda's environment says about the database (DB_SECRET_ARN, DB_HOST, DB_NAME). */
export interface LambdaDatabaseConfig {
  dbSecretArn: string;
  /** The RDS Proxy endpoint; the secret's host when unset. */
  dbHost?: string | undefined;
  dbName?: string | undefined;
}

/**
 * How a coffee-iot Lambda reaches Aurora: credentials from Secrets Manager, through RDS Proxy,
 * TLS verified against the RDS CA, a small pool (one container serves one event at a time).
 */
export function openLambdaDatabase(
  config: LambdaDatabaseConfig,
  secrets: SecretsManagerClient = new SecretsManagerClient({}),
  poolSize?: number,
): Promise<CoffeeDatabase> {
  return openMysqlDatabaseFromSecret({
    secrets,
    secretId: config.dbSecretArn,
    hostOverride: config.dbHost,
    databaseOverride: config.dbName,
    ssl: 'rds',
    ...(poolSize === undefined ? {} : { poolSize }),
  });
}
