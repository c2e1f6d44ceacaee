import { EnvReader } from '../config/env.js';

export interface DashboardApiConfig {
  /** Secrets Manager secret with the database credentials (RDS secret JSON). */
  dbSecretArn: string;
  /** RDS Proxy endpoint; when unset, the host in the secret. */
  dbHost: string | undefined;
  /** Database name; when unset, the secret's dbname. */
  dbName: string | undefined;
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
    dbSecretArn: read.string('DB_SECRET_ARN'),
    dbHost: read.optionalString('DB_HOST'),
    dbName: read.optionalString('DB_NAME'),
    photoBucket: read.string('PHOTO_BUCKET'),
    // At most an hour: a link outliving the session that asked for it would defeat the sign-in.
    photoLinkSeconds: read.number('PHOTO_LINK_SECONDS', DEFAULT_PHOTO_LINK_SECONDS, { min: 1, max: 3600 }),
  };
  read.done();
  return config;
}
