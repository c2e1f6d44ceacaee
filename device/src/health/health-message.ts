import type { HealthMessage, StorageFailureReport } from '@coffee-iot/shared';
import type { StorageFailure } from '../spool/write-failures.js';
import type { AgentSnapshot, CoffeeSnapshot } from './agent-snapshot.js';

/** Maps a snapshot to the health v1 contract (shared/src/schemas/health-v1.schema.json). */
export function toHealthMessage(snapshot: AgentSnapshot): HealthMessage {
  return {
    v: 1,
    deviceId: snapshot.deviceId,
    bootId: snapshot.bootId,
    ts: new Date(snapshot.nowMs).toISOString(),
    agentVersion: snapshot.agentVersion,
    transport: snapshot.transport,
    uptimeSeconds: Math.max(0, Math.round((snapshot.nowMs - snapshot.startedAtMs) / 1000)),
    spoolDepth: snapshot.spoolDepth,
    oldestUnsentAgeSeconds:
      snapshot.oldestUnsentAtMs === null
        ? null
        : Math.max(0, Math.round((snapshot.nowMs - snapshot.oldestUnsentAtMs) / 1000)),
    droppedReadings: snapshot.droppedReadings,
    sensorErrors: snapshot.sensorErrors,
    lastPubackAt: snapshot.lastPubackAtMs === null ? null : new Date(snapshot.lastPubackAtMs).toISOString(),
    unstoredReadings: { ...snapshot.unstoredReadings },
    storageFailure: storageFailureReport(snapshot.storageFailure),
    ...(snapshot.clock ? { ...snapshot.clock } : {}),
    ...(snapshot.coffee ? coffeeHealth(snapshot.coffee, snapshot.nowMs) : {}),
  };
}

function storageFailureReport(failure: StorageFailure | null): StorageFailureReport | null {
  if (!failure) return null;
  return { cause: failure.cause, path: failure.path, since: new Date(failure.sinceMs).toISOString() };
}

function coffeeHealth(coffee: CoffeeSnapshot, nowMs: number): Partial<HealthMessage> {
  return {
    outboxDepth: coffee.outboxDepth,
    oldestPendingPhotoAgeSeconds:
      coffee.oldestPendingPhotoAtMs === null
        ? null
        : Math.max(0, Math.round((nowMs - coffee.oldestPendingPhotoAtMs) / 1000)),
    outboxDropped: coffee.outboxDropped,
    captureFailures: coffee.captureFailures,
    uploadFailures: coffee.uploadFailures,
    skippedPresses: coffee.skippedPresses,
    unrecordedPresses: { ...coffee.unrecordedPresses },
    outboxWriteFailures: { ...coffee.outboxWriteFailures },
  };
}
