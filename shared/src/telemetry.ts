/** Contract version carried in every envelope's `v`. */
export const TELEMETRY_CONTRACT_VERSION = 1 as const;

/**
 * One Sense HAT reading. Field meanings and units are documented in
 * `schemas/telemetry-v1.schema.json`, which is the source of truth for consumers.
 */
export interface TelemetryReading {
  seq: number;
  ts: string;
  temperature: number;
  humidity: number;
  pressure: number;
  pitch: number;
  roll: number;
  yaw: number;
  temperatureAmbient?: number;
  temperatureCpu?: number;
  accelX?: number;
  accelY?: number;
  accelZ?: number;
  gyroX?: number;
  gyroY?: number;
  gyroZ?: number;
  magX?: number;
  magY?: number;
  magZ?: number;
}

/** What the device publishes on `{prefix}/{thing}/telemetry`. */
export interface TelemetryEnvelope {
  v: typeof TELEMETRY_CONTRACT_VERSION;
  deviceId: string;
  bootId: string;
  readings: TelemetryReading[];
}

/** What the device publishes on `{prefix}/{thing}/health`. */
export interface HealthMessage {
  v: 1;
  deviceId: string;
  bootId: string;
  ts: string;
  agentVersion: string;
  transport: 'aws-crt' | 'mqtt.js';
  uptimeSeconds: number;
  spoolDepth: number;
  oldestUnsentAgeSeconds: number | null;
  droppedReadings: number;
  sensorErrors: number;
  lastPubackAt: string | null;
  outboxDepth?: number;
  oldestPendingPhotoAgeSeconds?: number | null;
  outboxDropped?: number;
  captureFailures?: number;
  uploadFailures?: number;
  skippedPresses?: number;
  /** Readings the device's storage refused since its spool was created; their seqs are missing. */
  unstoredReadings?: StorageCauseCounts;
  /** The device is losing readings now: since when, why, and where. null while they are stored. */
  storageFailure?: StorageFailureReport | null;
  /** Presses answered with an error or lost because their event could not be stored, since start. */
  unrecordedPresses?: StorageCauseCounts;
  /** Photo writes to the outbox that the storage refused, since start. */
  outboxWriteFailures?: StorageCauseCounts;
  /** Whether the wall clock is synchronised; null when the device cannot tell (it then trusts it). */
  clockSynchronized?: boolean | null;
  /** Readings held until the clock is synchronised, to be published with corrected timestamps. */
  heldReadings?: number;
  /** Readings published with a timestamp corrected after the clock synchronised, since start. */
  restampedReadings?: number;
  /** Readings published with a timestamp from an unsynchronised clock, since start. */
  unsynchronizedReadings?: number;
  /** Steps of the wall clock seen since start. */
  clockSteps?: number;
}

/** Counts per storage failure cause: full disk, I/O error, read-only filesystem, anything else. */
export interface StorageCauseCounts {
  ENOSPC: number;
  EIO: number;
  EROFS: number;
  other: number;
}

export interface StorageFailureReport {
  cause: keyof StorageCauseCounts;
  /** The file the failing writes go to. */
  path: string;
  /** ISO-8601 time of the first failing write of this episode. */
  since: string;
}

export type CoffeeTrigger = 'button' | 'joystick' | 'keyboard' | 'http';
export type CoffeeOutcome = 'captured' | 'camera_failed' | 'skipped';

/** What the device publishes on `{prefix}/{thing}/coffee`, one per press. */
export interface CoffeeEvent {
  v: 1;
  deviceId: string;
  bootId: string;
  eventId: string;
  pressedAt: string;
  capturedAt?: string;
  trigger: CoffeeTrigger;
  outcome: CoffeeOutcome;
  photoKey: string | null;
  reason: string | null;
}
