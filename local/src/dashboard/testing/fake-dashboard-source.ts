import type { DashboardEventName, DashboardEvents, DashboardSnapshot } from '../api-types.js';
import {
  type DashboardListener,
  type DashboardSource,
  type PhotoBytes,
  UnknownDeviceError,
} from '../dashboard-source.js';
import { snapshotFixture } from './dashboard-fixtures.js';

export interface FakeDashboardSourceOptions {
  /** Devices `press` accepts; when absent the source has no `press`, as in AWS. */
  simulatedDevices?: readonly string[];
}

/**
 * An in-memory DashboardSource for the server's tests: a fixed snapshot (or a failure), events
 * pushed with `emit`, photos put in a map, and presses recorded.
 */
export class FakeDashboardSource implements DashboardSource {
  snapshotData: DashboardSnapshot = snapshotFixture();
  readonly photos = new Map<string, PhotoBytes>();
  /** Every key readPhoto was asked for, in order, so tests can tell a refused key never got here. */
  readonly photoReads: string[] = [];
  readonly presses: string[] = [];
  readonly press?: (deviceId: string) => Promise<void>;
  private readonly listeners = new Set<DashboardListener>();
  private snapshotError: Error | undefined;

  constructor(options: FakeDashboardSourceOptions = {}) {
    const { simulatedDevices } = options;
    if (simulatedDevices) {
      this.press = async (deviceId) => {
        if (!simulatedDevices.includes(deviceId)) throw new UnknownDeviceError(deviceId);
        this.presses.push(deviceId);
      };
    }
  }

  /** Makes every later snapshot() reject with this error. */
  failSnapshot(error: Error): void {
    this.snapshotError = error;
  }

  async snapshot(): Promise<DashboardSnapshot> {
    if (this.snapshotError) throw this.snapshotError;
    return structuredClone(this.snapshotData);
  }

  subscribe(listener: DashboardListener): () => void {
    // Wrapped so the same listener subscribed twice counts twice, like a real event source.
    const entry: DashboardListener = (name, data) => listener(name, data);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Live subscriptions, to check the server lets go of the source. */
  listenerCount(): number {
    return this.listeners.size;
  }

  emit<K extends DashboardEventName>(name: K, data: DashboardEvents[K]): void {
    for (const listener of [...this.listeners]) listener(name, data);
  }

  async readPhoto(photoKey: string): Promise<PhotoBytes | null> {
    this.photoReads.push(photoKey);
    return this.photos.get(photoKey) ?? null;
  }
}
