// The dashboard's wire contract: what GET /api/snapshot returns and what GET /api/events (SSE)
// sends. The page (local/web) and the server (local/src/dashboard) both follow it; the same API
// serves from the local stack and, later, from AWS reading Aurora.
import type { CoffeeStats, LatestCoffee } from '@coffee-iot/cloud';

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

/** What the dashboard knows about one device, from its health messages and the broker. */
export interface DeviceStatus {
  deviceId: string;
  /** Connected to the broker now. */
  online: boolean;
  /** Last message of any kind (telemetry, health, coffee), ISO 8601; null when never seen. */
  lastSeenAt: string | null;
  /** From the latest health message; null before the first one. */
  spoolDepth: number | null;
  droppedReadings: number | null;
  outboxDepth: number | null;
  outboxDropped: number | null;
  /** Registry fields (coffee-iot devices set); null when unset. */
  owner: string | null;
  location: string | null;
}

/** A coffee as the dashboard lists it: the record plus where the page can load its photo. */
export interface CoffeeView extends LatestCoffee {
  /** Same-origin URL of the photo (GET /api/photos/{photoKey}); null when the photo is gone. */
  photoUrl: string | null;
}

export interface DashboardSnapshot {
  /** Server time, ISO 8601. */
  generatedAt: string;
  /** How far back `telemetry` reaches, in milliseconds (one hour). */
  telemetryWindowMs: number;
  devices: DeviceStatus[];
  /** Per device id, oldest first, at most one point per `telemetryStepMs`. */
  telemetry: Record<string, TelemetryPoint[]>;
  /** Points are thinned to one per this many milliseconds (10 s) so a phone can draw an hour. */
  telemetryStepMs: number;
  /** Cups by hour of day, attribute rates, per device; `latest` is replaced by `coffees`. */
  stats: Omit<CoffeeStats, 'latest'>;
  /** Newest first. */
  coffees: CoffeeView[];
}

/** Server-sent events on GET /api/events; the `event:` field is the key, `data:` the JSON value. */
export interface DashboardEvents {
  /** New points for one device (appended; the page drops what falls out of the window). */
  telemetry: { deviceId: string; points: TelemetryPoint[] };
  /** A device's status changed (health message, connect, disconnect). */
  device: DeviceStatus;
  /** A photo was analysed: the coffee and the stats after it. */
  coffee: { coffee: CoffeeView; stats: Omit<CoffeeStats, 'latest'> };
}

export type DashboardEventName = keyof DashboardEvents;
