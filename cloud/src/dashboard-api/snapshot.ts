import type { CoffeeDatabase } from '../db/coffee-database.js';
import type { Device, DeviceRepository } from '../db/device-repository.js';
import { readCoffeeStats } from '../stats/coffee-stats.js';
import type { CoffeeStats, LatestCoffee } from '../stats/stats-types.js';
import { photoPath } from './photo-key.js';
import type { CoffeeView, DashboardSnapshot, DeviceStatus } from './snapshot-types.js';

/** As many coffees as the local dashboard lists (local/src/live/live-dashboard-source.ts). */
export const LATEST_COFFEES = 12;
/** The local dashboard's telemetry window and step, kept so the page reads both APIs alike. */
export const TELEMETRY_WINDOW_MS = 3_600_000;
export const TELEMETRY_STEP_MS = 10_000;

export interface SnapshotSources {
  database: CoffeeDatabase;
  devices: DeviceRepository;
  now: () => Date;
}

/**
 * The dashboard's snapshot in AWS, read from Aurora: the coffee statistics and the newest coffees,
 * and the device registry. What only the local stack sees live — broker connections, health
 * messages, telemetry off the stream — is absent here: `online` is false and the health counters
 * are null, `lastSeenAt` is the registry's (the newest coffee photo of the device).
 */
export async function readDashboardSnapshot(sources: SnapshotSources): Promise<DashboardSnapshot> {
  const stats = await readCoffeeStats(sources.database.db, { latest: LATEST_COFFEES });
  const devices = await sources.devices.listDevices();
  const { latest, ...rest } = stats satisfies CoffeeStats;
  return {
    generatedAt: sources.now().toISOString(),
    telemetryWindowMs: TELEMETRY_WINDOW_MS,
    telemetryStepMs: TELEMETRY_STEP_MS,
    devices: devices.map(deviceStatus),
    // Live telemetry in AWS comes later: the lake is the only store of readings, and Athena takes
    // seconds per query and bills per scan, too slow and too dear for a page that refreshes.
    telemetry: {},
    stats: rest,
    coffees: latest.map(coffeeView),
  };
}

function deviceStatus(device: Device): DeviceStatus {
  return {
    deviceId: device.thingName,
    online: false,
    lastSeenAt: device.lastSeenAt,
    spoolDepth: null,
    droppedReadings: null,
    outboxDepth: null,
    outboxDropped: null,
    owner: device.owner,
    location: device.location,
  };
}

function coffeeView(coffee: LatestCoffee): CoffeeView {
  // 'missing': the pipeline found no photo under the key, so there is nothing to link to.
  return { ...coffee, photoUrl: coffee.status === 'missing' ? null : photoPath(coffee.photoKey) };
}
