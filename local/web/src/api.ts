// The dashboard's wire contract as the page sees it. It mirrors local/src/dashboard/api-types.ts
// (and the parts of @coffee-iot/cloud's CoffeeStats and @coffee-iot/shared's CoffeeRecord it uses)
// because the page is compiled for the browser on its own and must not pull in server packages.
// A test in local/src checks that these declarations and the server's agree; change both together.

export type CoffeeRecordStatus = 'analyzed' | 'unanalyzable' | 'missing';

/** The face attributes every analyzer reports; null means the analyzer could not tell. */
export interface FaceAttributes {
  personPresent: boolean | null;
  faceCount: number | null;
  smile: boolean | null;
  smileConfidence: number | null;
  eyeglasses: boolean | null;
  eyeglassesConfidence: number | null;
  sunglasses: boolean | null;
  sunglassesConfidence: number | null;
  beard: boolean | null;
  beardConfidence: number | null;
  mustache: boolean | null;
  mustacheConfidence: number | null;
  eyesOpen: boolean | null;
  eyesOpenConfidence: number | null;
  ageLow: number | null;
  ageHigh: number | null;
  emotion: string | null;
  emotionConfidence: number | null;
}

/** CoffeeRecord without `v` and `type`: one coffee, where and when, and its analysis. */
export interface LatestCoffee extends FaceAttributes {
  deviceId: string;
  eventId: string;
  photoKey: string;
  capturedAt: string | null;
  analyzedAt: string;
  status: CoffeeRecordStatus;
  reason: string | null;
  analyzer: string | null;
}

/** How often a yes/no attribute was seen; unknown rows are left out of `known`. */
export interface AttributeStats {
  known: number;
  yes: number;
  /** yes / known; null when nothing is known, so "no data" never reads as 0 %. */
  rate: number | null;
}

export interface GroupStats {
  cups: number;
  analyzed: number;
  withPerson: AttributeStats;
  smile: AttributeStats;
  eyeglasses: AttributeStats;
  sunglasses: AttributeStats;
  beard: AttributeStats;
  mustache: AttributeStats;
}

export type DeviceStats = GroupStats & { deviceId: string };

export interface DayCups {
  /** UTC day, yyyy-mm-dd. */
  day: string;
  cups: number;
}

/** CoffeeStats without `latest` (the snapshot lists `coffees` instead). */
export interface DashboardStats {
  overall: GroupStats;
  perDevice: DeviceStats[];
  /** 24 entries: cups per UTC hour of the day (index 0 = 00:00–00:59 UTC). */
  cupsByHourOfDay: number[];
  cupsPerDay: DayCups[];
}

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

/** Per storage failure cause: full disk, I/O error, read-only filesystem, anything else. */
export interface StorageCauseCounts {
  ENOSPC: number;
  EIO: number;
  EROFS: number;
  other: number;
}

export interface StorageFailureReport {
  cause: keyof StorageCauseCounts;
  path: string;
  /** ISO 8601. */
  since: string;
}

export interface DeviceStatus {
  deviceId: string;
  online: boolean;
  /** ISO 8601; null when never seen. */
  lastSeenAt: string | null;
  spoolDepth: number | null;
  droppedReadings: number | null;
  outboxDepth: number | null;
  outboxDropped: number | null;
  /** Readings the device could not store, per cause; absent or null until its health reports them. */
  unstoredReadings?: StorageCauseCounts | null;
  /** Presses the device answered with an error or lost because they could not be stored. */
  unrecordedPresses?: StorageCauseCounts | null;
  /** The device is losing readings now; null while it stores them. */
  storageFailure?: StorageFailureReport | null;
  owner: string | null;
  location: string | null;
}

export interface CoffeeView extends LatestCoffee {
  /**
   * The photo's path on the API, /api/photos/{key}; null when the photo is gone. Locally the page's
   * own server answers it; in AWS it is relative to the API's URL and needs the sign-in token.
   */
  photoUrl: string | null;
}

export interface DashboardSnapshot {
  /** Server time, ISO 8601. */
  generatedAt: string;
  telemetryWindowMs: number;
  devices: DeviceStatus[];
  /** Per device id, oldest first. */
  telemetry: Record<string, TelemetryPoint[]>;
  telemetryStepMs: number;
  stats: DashboardStats;
  /** Newest first. */
  coffees: CoffeeView[];
}

/**
 * GET /api/photos/{key} with `Accept: application/json`, AWS only (cloud/src/dashboard-api): the
 * photo's presigned S3 URL, which an `<img>` can load without the token the API itself needs.
 */
export interface PhotoLink {
  url: string;
  /** ISO 8601, by the server's clock. */
  expiresAt: string;
}

/** Server-sent events on GET /api/events; the `event:` field is the key, `data:` the JSON value. */
export interface DashboardEvents {
  telemetry: { deviceId: string; points: TelemetryPoint[] };
  device: DeviceStatus;
  coffee: { coffee: CoffeeView; stats: DashboardStats };
}

export type DashboardEventName = keyof DashboardEvents;

export const DASHBOARD_EVENT_NAMES: readonly DashboardEventName[] = ['telemetry', 'device', 'coffee'];
