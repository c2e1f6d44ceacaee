// The dashboard's wire contract. The snapshot (GET /api/snapshot) is declared once in the cloud
// workspace, which serves it in AWS too; the live events (GET /api/events, server-sent) are the
// local stack's own. The page (local/web) mirrors both; api-mirror.test.ts checks it agrees.
import type { CoffeeStats, CoffeeView, DeviceStatus, TelemetryPoint } from '@coffee-iot/cloud';

export type { CoffeeView, DashboardSnapshot, DeviceStatus, TelemetryPoint } from '@coffee-iot/cloud';

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
