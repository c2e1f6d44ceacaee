import { EnvReader } from '../config/env.js';
import { type LambdaDatabaseConfig, readLambdaDatabaseConfig } from '../db/lambda-database-config.js';

/** The pre-provisioning hook's environment: the registry database holding the serial allow-list. */
export interface PreProvisioningHookConfig {
  /** Aurora through the Data API or mysql2 (DATABASE_MODE; see db/lambda-database-config.ts). */
  database: LambdaDatabaseConfig;
}

/** Reads the environment; throws EnvironmentError naming every problem at once. */
export function readPreProvisioningHookConfig(
  env: Readonly<Record<string, string | undefined>>,
): PreProvisioningHookConfig {
  const read = new EnvReader(env);
  const config: PreProvisioningHookConfig = { database: readLambdaDatabaseConfig(read) };
  read.done();
  return config;
}
