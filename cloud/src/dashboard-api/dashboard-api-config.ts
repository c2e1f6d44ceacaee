import { EnvReader } from '../config/env.js';
import { type LambdaDatabaseConfig, readLambdaDatabaseConfig } from '../db/lambda-database-config.js';

export interface DashboardApiConfig {
  /** Aurora through the Data API or mysql2 (DATABASE_MODE; see db/lambda-database-config.ts). */
  database: LambdaDatabaseConfig;
  /** The bucket the photos live in (keys photos/…). */
  photoBucket: string;
  /** How long a photo link stays valid, in seconds (default 5 minutes). */
  photoLinkSeconds: number;
}

export const DEFAULT_PHOTO_LINK_SECONDS = 300;

/** Reads the dashboard API's environment; throws EnvironmentError naming every problem at once. */
export function readDashboardApiConfig(
  env: Readonly<Record<string, string | undefined>>,
): DashboardApiConfig {
  const read = new EnvReader(env);
  const config: DashboardApiConfig = {
    database: readLambdaDatabaseConfig(read),
    photoBucket: read.string('PHOTO_BUCKET'),
    // At most an hour: a link outliving the session that asked for it would defeat the sign-in.
    photoLinkSeconds: read.number('PHOTO_LINK_SECONDS', DEFAULT_PHOTO_LINK_SECONDS, { min: 1, max: 3600 }),
  };
  read.done();
  return config;
}
