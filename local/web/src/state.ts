// What the page knows, and how the snapshot and each live event change it. No DOM here: the views
// read this state, and main.ts redraws the sections an update reports as changed.
import type { CoffeeView, DashboardSnapshot, DashboardStats, DeviceStatus, TelemetryPoint } from './api.js';
import type { DashboardEvent } from './events.js';
import { parseTime } from './format.js';
import { appendPoints, trimToWindow } from './series.js';

/** The coffee list shows this many, newest first. */
export const MAX_COFFEES = 12;

export type DashboardSection = 'header' | 'devices' | 'telemetry' | 'stats' | 'coffees';

export interface DashboardState {
  /**
   * Server clock minus browser clock. "Last seen" and the telemetry window are measured against
   * the server's clock, so a phone whose clock is a minute off still reads "3 s ago".
   */
  clockOffsetMs: number;
  telemetryWindowMs: number;
  telemetryStepMs: number;
  devices: Map<string, DeviceStatus>;
  /** Per device, oldest first, within the window. */
  telemetry: Map<string, readonly TelemetryPoint[]>;
  stats: DashboardStats;
  /** Newest first, at most MAX_COFFEES, one per photo key. */
  coffees: CoffeeView[];
}

export function stateFromSnapshot(snapshot: DashboardSnapshot, receivedAtMs: number): DashboardState {
  const generatedAt = parseTime(snapshot.generatedAt);
  const clockOffsetMs = generatedAt === null ? 0 : generatedAt - receivedAtMs;
  const telemetry = new Map<string, readonly TelemetryPoint[]>();
  for (const [deviceId, points] of Object.entries(snapshot.telemetry)) {
    telemetry.set(deviceId, appendPoints([], points, snapshot.telemetryStepMs));
  }
  return {
    clockOffsetMs,
    telemetryWindowMs: snapshot.telemetryWindowMs,
    telemetryStepMs: snapshot.telemetryStepMs,
    devices: new Map(snapshot.devices.map((d) => [d.deviceId, d])),
    telemetry,
    stats: snapshot.stats,
    coffees: withCoffees([], snapshot.coffees),
  };
}

/** The server's time now, from the browser's `Date.now()`. */
export function serverNow(state: DashboardState, browserNowMs: number): number {
  return browserNowMs + state.clockOffsetMs;
}

/** Applies one live event to `state` (in place) and returns the sections it changed. */
export function applyEvent(
  state: DashboardState,
  event: DashboardEvent,
  serverNowMs: number,
): DashboardSection[] {
  switch (event.name) {
    case 'telemetry': {
      const { deviceId, points } = event.data;
      const series = appendPoints(state.telemetry.get(deviceId) ?? [], points, state.telemetryStepMs);
      state.telemetry.set(deviceId, trimToWindow(series, serverNowMs, state.telemetryWindowMs));
      // A reading is the device being seen: "last seen" follows telemetry, not only the health
      // messages (one a minute), so it does not age between them.
      const device = state.devices.get(deviceId);
      const newest = Math.max(...points.map((point) => point.t));
      if (device !== undefined && Number.isFinite(newest) && newest > (parseTime(device.lastSeenAt) ?? 0)) {
        state.devices.set(deviceId, { ...device, lastSeenAt: new Date(newest).toISOString() });
        return ['telemetry', 'devices'];
      }
      return ['telemetry'];
    }
    case 'device':
      state.devices.set(event.data.deviceId, event.data);
      return ['devices', 'telemetry'];
    case 'coffee':
      state.coffees = withCoffees([event.data.coffee], state.coffees);
      state.stats = event.data.stats;
      return ['coffees', 'stats'];
  }
}

/** Drops telemetry that has slid out of the window; true when any series changed. */
export function trimTelemetry(state: DashboardState, serverNowMs: number): boolean {
  let changed = false;
  for (const [deviceId, series] of state.telemetry) {
    const trimmed = trimToWindow(series, serverNowMs, state.telemetryWindowMs);
    if (trimmed !== series) {
      state.telemetry.set(deviceId, trimmed);
      changed = true;
    }
  }
  return changed;
}

/** Every device the page knows of, from status or telemetry, sorted by id. */
export function knownDeviceIds(state: DashboardState): string[] {
  const ids = new Set([...state.devices.keys(), ...state.telemetry.keys()]);
  return [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/**
 * Whether two coffees read the same, field for field (every field is a string, number, boolean or
 * null). Polled snapshots bring new objects for unchanged coffees; their items need no rebuilding.
 */
export function sameCoffee(a: CoffeeView, b: CoffeeView): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as (keyof CoffeeView)[];
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}

/** `newer` then `older`, one per photo key (the newer wins), at most MAX_COFFEES. */
function withCoffees(newer: readonly CoffeeView[], older: readonly CoffeeView[]): CoffeeView[] {
  const seen = new Set<string>();
  const out: CoffeeView[] = [];
  for (const coffee of [...newer, ...older]) {
    if (seen.has(coffee.photoKey)) continue;
    seen.add(coffee.photoKey);
    out.push(coffee);
    if (out.length === MAX_COFFEES) break;
  }
  return out;
}
