import type { LogLevel } from '@coffee-iot/device';

export interface LocalStackOptions {
  /** Everything the stack keeps: PKI, database, stream, bucket, lake, device state. */
  dataDir: string;
  /** Simulated devices, named coffee-pi-1 … coffee-pi-N. */
  devices: number;
  brokerPort: number;
  s3Port: number;
  kinesisPort: number;
  dashboardPort: number;
  /** The first device's loopback control port (`POST /press`); 0 turns it off. */
  controlPort: number;
  /** A MySQL URL instead of the embedded SQLite database (parsed like coffee-iot --database). */
  mysqlUrl?: string;
  /** Real Rekognition with the user's AWS credentials instead of the local analyzer. */
  aws: boolean;
  /** The stack's own log level (the agents log at `agentLogLevel`). */
  logLevel: LogLevel;
  agentLogLevel: LogLevel;
  /** LED countdown before each photo, seconds (0 = none). */
  countdownSeconds: number;
  /** How long stream records gather before one lake write. */
  lakeFlushMs: number;
  /** Ingest stream shards. */
  shards: number;
}

export const DEFAULT_STACK_OPTIONS: LocalStackOptions = {
  dataDir: '.local',
  devices: 1,
  brokerPort: 8883,
  s3Port: 4568,
  kinesisPort: 4567,
  dashboardPort: 8080,
  controlPort: 8484,
  aws: false,
  logLevel: 'warn',
  agentLogLevel: 'warn',
  countdownSeconds: 3,
  lakeFlushMs: 2000,
  shards: 2,
};

export const MAX_DEVICES = 5000;

export function thingNames(devices: number): string[] {
  return Array.from({ length: devices }, (_, index) => `coffee-pi-${index + 1}`);
}
