import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  type CoffeeDatabase,
  type CoffeeRepository,
  type CoffeeStats,
  type DeviceRepository,
  type LatestCoffee,
  readCoffeeStats,
} from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import type { HealthMessage } from '@coffee-iot/shared';
import type {
  CoffeeView,
  DashboardEventName,
  DashboardEvents,
  DashboardSnapshot,
  TelemetryPoint,
} from '../dashboard/api-types.js';
import type { DashboardListener, DashboardSource, PhotoBytes } from '../dashboard/dashboard-source.js';
import { DeviceBoard } from './device-board.js';
import {
  TELEMETRY_STEP_MS,
  TELEMETRY_WINDOW_MS,
  TelemetryWindow,
  telemetryPoints,
} from './telemetry-window.js';

export const LATEST_COFFEES = 12;

export interface LiveDashboardSourceOptions {
  database: CoffeeDatabase;
  coffees: CoffeeRepository;
  devices: DeviceRepository;
  s3: S3Client;
  bucket: string;
  logger: Logger;
  press?: (deviceId: string) => Promise<void>;
  now?: () => Date;
}

/**
 * The local stack's dashboard data: telemetry as it leaves the ingest stream, device status from
 * the broker and health messages, coffees and stats from the database, photos from the bucket.
 */
export class LiveDashboardSource implements DashboardSource {
  private readonly telemetry = new TelemetryWindow();
  private readonly board = new DeviceBoard();
  private readonly listeners = new Set<DashboardListener>();
  private readonly now: () => Date;
  readonly press?: (deviceId: string) => Promise<void>;

  constructor(private readonly options: LiveDashboardSourceOptions) {
    this.now = options.now ?? (() => new Date());
    if (options.press) this.press = options.press;
  }

  async snapshot(): Promise<DashboardSnapshot> {
    await this.refreshRegistry();
    const stats = await readCoffeeStats(this.options.database.db, { latest: LATEST_COFFEES });
    const now = this.now();
    return {
      generatedAt: now.toISOString(),
      telemetryWindowMs: TELEMETRY_WINDOW_MS,
      telemetryStepMs: TELEMETRY_STEP_MS,
      devices: this.board.list(),
      telemetry: this.telemetry.snapshot(now.getTime()),
      stats: withoutLatest(stats),
      coffees: stats.latest.map(coffeeView),
    };
  }

  subscribe(listener: DashboardListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async readPhoto(photoKey: string): Promise<PhotoBytes | null> {
    try {
      const object = await this.options.s3.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: photoKey }),
      );
      const body = await object.Body?.transformToByteArray();
      if (body === undefined) return null;
      return { body, contentType: object.ContentType ?? 'image/jpeg' };
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
  }

  /** Points read back from the lake at start, so a restarted dashboard shows the last hour. */
  seedTelemetry(entries: readonly { deviceId: string; point: TelemetryPoint }[]): void {
    for (const { deviceId, point } of entries) this.telemetry.add(deviceId, point);
  }

  /** Ingest records as the lake's reader takes them off the stream. */
  onStreamRecords(records: readonly { data: Uint8Array; partitionKey: string }[]): void {
    const latest = new Map<string, DashboardEvents['telemetry']['points']>();
    const receivedAt = this.now();
    for (const record of records) {
      const parsed = telemetryPoints(record.data, { receivedAt, partitionKey: record.partitionKey });
      if (parsed === null || parsed.points.length === 0) continue;
      for (const point of parsed.points) this.telemetry.add(parsed.deviceId, point);
      const points = latest.get(parsed.deviceId) ?? [];
      points.push(...parsed.points);
      latest.set(parsed.deviceId, points);
    }
    for (const [deviceId, points] of latest) this.emit('telemetry', { deviceId, points });
  }

  onConnected(deviceId: string): void {
    this.emit('device', this.board.connected(deviceId, this.now()));
  }

  onDisconnected(deviceId: string): void {
    this.emit('device', this.board.disconnected(deviceId));
  }

  onDeviceMessage(deviceId: string): void {
    this.board.seen(deviceId, this.now());
  }

  onHealth(message: HealthMessage): void {
    this.emit('device', this.board.health(message, this.now()));
  }

  /** After the photo handler recorded coffees: each one with the stats after it. */
  async onCoffeesRecorded(photoKeys: readonly string[]): Promise<void> {
    if (photoKeys.length === 0 || this.listeners.size === 0) return;
    const stats = withoutLatest(await readCoffeeStats(this.options.database.db, { latest: 0 }));
    for (const key of photoKeys) {
      const stored = await this.options.coffees.findByPhotoKey(key);
      if (stored === null) continue;
      const { v: _v, type: _type, ...coffee } = stored.record;
      this.emit('coffee', { coffee: coffeeView(coffee), stats });
    }
  }

  private async refreshRegistry(): Promise<void> {
    for (const device of await this.options.devices.listDevices()) {
      this.board.registered(device.thingName, device.owner, device.location);
    }
  }

  private emit<K extends DashboardEventName>(name: K, data: DashboardEvents[K]): void {
    for (const listener of this.listeners) {
      try {
        listener(name, data);
      } catch (error) {
        this.options.logger.error({ err: error, event: name }, 'dashboard listener failed');
      }
    }
  }
}

function withoutLatest(stats: CoffeeStats): Omit<CoffeeStats, 'latest'> {
  const { latest: _latest, ...rest } = stats;
  return rest;
}

function coffeeView(coffee: LatestCoffee): CoffeeView {
  return {
    ...coffee,
    photoUrl:
      coffee.status === 'missing'
        ? null
        : `/api/photos/${coffee.photoKey.split('/').map(encodeURIComponent).join('/')}`,
  };
}
