import type { DashboardEventName, DashboardEvents, DashboardSnapshot } from './api-types.js';

/** Receives every live event; `name` tells which member of DashboardEvents `data` is. */
export type DashboardListener = <K extends DashboardEventName>(name: K, data: DashboardEvents[K]) => void;

export interface PhotoBytes {
  body: Uint8Array;
  contentType: string;
}

/**
 * Where the dashboard's data comes from: the local stack composes it from the lake, the
 * database and the broker; in AWS the same API reads Aurora. The HTTP server knows only this.
 */
export interface DashboardSource {
  snapshot(): Promise<DashboardSnapshot>;
  /** Live events from now on; returns the unsubscribe function. */
  subscribe(listener: DashboardListener): () => void;
  /** A photo's bytes by its S3 key, or null when the object is gone. */
  readPhoto(photoKey: string): Promise<PhotoBytes | null>;
  /**
   * Brews a coffee on a simulated device (local stack only; absent in AWS). Rejects with
   * UnknownDeviceError for a device that is not simulated here.
   */
  press?(deviceId: string): Promise<void>;
}

export class UnknownDeviceError extends Error {
  override readonly name = 'UnknownDeviceError';
  constructor(readonly deviceId: string) {
    super(`no simulated device "${deviceId}" in this stack`);
  }
}
