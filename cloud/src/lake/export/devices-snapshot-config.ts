import { EnvReader } from '../../config/env.js';
import { type LambdaDatabaseConfig, readLambdaDatabaseConfig } from '../../db/lambda-database-config.js';

/** The devices snapshot function's environment: the registry's database and the lake bucket. */
export interface DevicesSnapshotConfig {
  /** Aurora through the Data API or mysql2 (DATABASE_MODE; see db/lambda-database-config.ts). */
  database: LambdaDatabaseConfig;
  /** The lake bucket devices/snapshot.json is written to. */
  lakeBucket: string;
}

/** Reads the environment; throws EnvironmentError naming every problem at once. */
export function readDevicesSnapshotConfig(
  env: Readonly<Record<string, string | undefined>>,
): DevicesSnapshotConfig {
  const read = new EnvReader(env);
  const config: DevicesSnapshotConfig = {
    database: readLambdaDatabaseConfig(read),
    lakeBucket: read.string('LAKE_BUCKET'),
  };
  read.done();
  return config;
}
