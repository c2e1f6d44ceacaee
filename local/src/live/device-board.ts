import type { HealthMessage } from '@coffee-iot/shared';
import type { DeviceStatus } from '../dashboard/api-types.js';

/** Device status as the dashboard shows it, from broker connections and health messages. */
export class DeviceBoard {
  private readonly devices = new Map<string, DeviceStatus>();

  connected(deviceId: string, at: Date): DeviceStatus {
    return this.update(deviceId, { online: true, lastSeenAt: at.toISOString() });
  }

  disconnected(deviceId: string): DeviceStatus {
    return this.update(deviceId, { online: false });
  }

  seen(deviceId: string, at: Date): void {
    this.update(deviceId, { lastSeenAt: at.toISOString() });
  }

  health(message: HealthMessage, at: Date): DeviceStatus {
    return this.update(message.deviceId, {
      lastSeenAt: at.toISOString(),
      spoolDepth: message.spoolDepth,
      droppedReadings: message.droppedReadings,
      outboxDepth: message.outboxDepth ?? null,
      outboxDropped: message.outboxDropped ?? null,
      // null, not the last value, when an (older) agent stops reporting them.
      unstoredReadings: message.unstoredReadings ?? null,
      unrecordedPresses: message.unrecordedPresses ?? null,
      storageFailure: message.storageFailure ?? null,
    });
  }

  /** Registry fields (owner, location) from the devices table. */
  registered(deviceId: string, owner: string | null, location: string | null): void {
    this.update(deviceId, { owner, location });
  }

  list(): DeviceStatus[] {
    return [...this.devices.values()].sort((a, b) =>
      a.deviceId.localeCompare(b.deviceId, 'en', { numeric: true }),
    );
  }

  private update(deviceId: string, changes: Partial<DeviceStatus>): DeviceStatus {
    const current = this.devices.get(deviceId) ?? {
      deviceId,
      online: false,
      lastSeenAt: null,
      spoolDepth: null,
      droppedReadings: null,
      outboxDepth: null,
      outboxDropped: null,
      owner: null,
      location: null,
    };
    const next = { ...current, ...changes };
    this.devices.set(deviceId, next);
    return next;
  }
}
