import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CoffeeDatabase } from './coffee-database.js';
import { type DataApiDatabaseOptions, openDataApiDatabase } from './data-api-dialect.js';
import type { LambdaDatabaseConfig } from './lambda-database-config.js';

export type { LambdaDatabaseConfig } from './lambda-database-config.js';

/**
 * How a coffee-iot Lambda reaches Aurora (see lambda-database-config.ts):
 * - data-api: HTTPS calls to the RDS Data API with the function's role; no VPC, no pool.
 * - mysql: credentials from Secrets Manager, through RDS Proxy, TLS verified against the RDS CA,
 *   a small pool (one container serves one event at a time).
 */
export async function openLambdaDatabase(
  config: LambdaDatabaseConfig,
  secrets?: SecretsManagerClient,
  poolSize?: number,
  dataApi?: DataApiDatabaseOptions['client'],
): Promise<CoffeeDatabase> {
  if (config.mode === 'data-api') {
    return openDataApiDatabase({
      resourceArn: config.dbClusterArn,
      secretArn: config.dbSecretArn,
      database: config.dbName,
      ...(dataApi === undefined ? {} : { client: dataApi }),
    });
  }
  // Loaded only in mysql mode (the fleet profile): mysql2 and its TLS profiles are half of a
  // bundle, and evaluating them cost every data-api cold start (bench/README.md).
  const { openMysqlDatabaseFromSecret } = await import('./secret-credentials.js');
  return openMysqlDatabaseFromSecret({
    secrets: secrets ?? new SecretsManagerClient({}),
    secretId: config.dbSecretArn,
    hostOverride: config.dbHost,
    databaseOverride: config.dbName,
    ssl: 'rds',
    ...(poolSize === undefined ? {} : { poolSize }),
  });
}
