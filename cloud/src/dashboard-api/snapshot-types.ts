// The dashboard's snapshot, one declaration for both servers: the AWS API (here) and the local
// stack's GET /api/snapshot (local/src/dashboard/api-types.ts re-exports these). The page keeps its
// own copy (it cannot import Node workspaces); api-mirror tests check it at type level.
import type { StorageCauseCounts, StorageFailureReport } from '@coffee-iot/shared';
import type { CoffeeStats, LatestCoffee } from '../stats/stats-types.js';

/** One telemetry point; `t` is the reading's time in epoch milliseconds. */
export interface TelemetryPoint {
  t: number;
  temperature: number;
  humidity: number;
  pressure: number;
  pitch: number;
  roll: number;
  yaw: number;
}

/** What the dashboard knows about one device. */
export interface DeviceStatus {
  deviceId: string;
  /** Connected to the broker now. */
  online: boolean;
  /** Last message of any kind, ISO 8601; null when never seen. */
  lastSeenAt: string | null;
  /** From the latest health message; null before the first one. */
  spoolDepth: number | null;
  droppedReadings: number | null;
  outboxDepth: number | null;
  outboxDropped: number | null;
  /**
   * From health when the agent reports them (absent before, or from older agents): readings the
   * device could not store and presses it could not record, per cause, and a failure in progress.
   */
  unstoredReadings?: StorageCauseCounts | null;
  unrecordedPresses?: StorageCauseCounts | null;
  storageFailure?: StorageFailureReport | null;
  /** Registry fields (coffee-iot devices set); null when unset. */
  owner: string | null;
  location: string | null;
}

/** A coffee as the dashboard lists it: the record plus where the page can load its photo. */
export interface CoffeeView extends LatestCoffee {
  /** GET /api/photos/{photoKey}; null when the photo is gone. */
  photoUrl: string | null;
}

export interface DashboardSnapshot {
  /** Server time, ISO 8601. */
  generatedAt: string;
  /** How far back `telemetry` reaches, in milliseconds. */
  telemetryWindowMs: number;
  devices: DeviceStatus[];
  /** Per device id, oldest first, at most one point per `telemetryStepMs`. */
  telemetry: Record<string, TelemetryPoint[]>;
  telemetryStepMs: number;
  /** Cups by hour of day, attribute rates, per device; `latest` is replaced by `coffees`. */
  stats: Omit<CoffeeStats, 'latest'>;
  /** Newest first. */
  coffees: CoffeeView[];
}

/**
 * GET /api/photos/{key} with `Accept: application/json` (the page in AWS, whose token an `<img>`
 * cannot carry). The page declares it too (local/web/src/api.ts); snapshot-mirror.test.ts checks both.
 */
export interface PhotoLink {
  /** The presigned S3 URL of the photo. */
  url: string;
  /** ISO 8601. The link was signed at or after this minus its lifetime, so it lasts at least until then. */
  expiresAt: string;
}
