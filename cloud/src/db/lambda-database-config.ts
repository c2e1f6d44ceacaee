import type { EnvReader } from '../config/env.js';

/**
 * How a Lambda reaches Aurora, read from its environment in one place for every function:
 *
 * - `DATABASE_MODE=data-api` (the small, scale-to-zero profile): the RDS Data API, no VPC.
 *   Requires DB_CLUSTER_ARN (the Aurora cluster, Data API enabled), DB_SECRET_ARN (the secret the
 *   Data API signs in with) and DB_NAME.
 * - `DATABASE_MODE=mysql` or unset (the fleet profile): mysql2 inside the VPC. Requires
 *   DB_SECRET_ARN; DB_HOST (the RDS Proxy endpoint) and DB_NAME override the secret's host and dbname.
 */
export type LambdaDatabaseConfig = MysqlLambdaDatabaseConfig | DataApiLambdaDatabaseConfig;

export interface MysqlLambdaDatabaseConfig {
  /** Optional: configs written before the Data API mode (no mode) mean mysql. */
  mode?: 'mysql';
  dbSecretArn: string;
  /** The RDS Proxy endpoint; the secret's host when unset. */
  dbHost?: string | undefined;
  dbName?: string | undefined;
}

export interface DataApiLambdaDatabaseConfig {
  mode: 'data-api';
  dbClusterArn: string;
  dbSecretArn: string;
  dbName: string;
}

export const DATABASE_MODES = ['mysql', 'data-api'] as const;

/** Reads the database variables through the caller's reader, so its done() reports them with the rest. */
export function readLambdaDatabaseConfig(read: EnvReader): LambdaDatabaseConfig {
  const mode = read.oneOf('DATABASE_MODE', DATABASE_MODES, 'mysql');
  if (mode === 'data-api') {
    return {
      mode,
      dbClusterArn: read.string('DB_CLUSTER_ARN'),
      dbSecretArn: read.string('DB_SECRET_ARN'),
      dbName: read.string('DB_NAME'),
    };
  }
  return {
    mode,
    dbSecretArn: read.string('DB_SECRET_ARN'),
    dbHost: read.optionalString('DB_HOST'),
    dbName: read.optionalString('DB_NAME'),
  };
}
