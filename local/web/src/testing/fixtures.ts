// Wire objects for the page's tests, built from defaults plus what a test cares about.
import type { CoffeeView, DashboardSnapshot, DashboardStats, DeviceStatus, TelemetryPoint } from '../api.js';

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
export const HOUR = 3_600_000;
export const STEP = 10_000;

export function point(t: number, temperature = 21): TelemetryPoint {
  return { t, temperature, humidity: 40, pressure: 1013, pitch: 1, roll: 2, yaw: 180 };
}

export function device(deviceId: string, overrides: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    deviceId,
    online: true,
    lastSeenAt: new Date(T0).toISOString(),
    spoolDepth: 0,
    droppedReadings: 0,
    outboxDepth: 0,
    outboxDropped: 0,
    owner: null,
    location: null,
    ...overrides,
  };
}

export function coffee(photoKey: string, overrides: Partial<CoffeeView> = {}): CoffeeView {
  return {
    deviceId: 'dev-1',
    eventId: `event-${photoKey}`,
    photoKey,
    capturedAt: new Date(T0).toISOString(),
    analyzedAt: new Date(T0 + 2_000).toISOString(),
    status: 'analyzed',
    reason: null,
    analyzer: 'local',
    personPresent: true,
    faceCount: 1,
    smile: true,
    smileConfidence: 90,
    eyeglasses: null,
    eyeglassesConfidence: null,
    sunglasses: null,
    sunglassesConfidence: null,
    beard: null,
    beardConfidence: null,
    mustache: null,
    mustacheConfidence: null,
    eyesOpen: true,
    eyesOpenConfidence: null,
    ageLow: 30,
    ageHigh: 40,
    emotion: 'HAPPY',
    emotionConfidence: 90,
    photoUrl: `/api/photos/${photoKey}`,
    ...overrides,
  };
}

export function stats(cups: number): DashboardStats {
  const none = { known: 0, yes: 0, rate: null };
  return {
    overall: {
      cups,
      analyzed: cups,
      withPerson: none,
      smile: none,
      eyeglasses: none,
      sunglasses: none,
      beard: none,
      mustache: none,
    },
    perDevice: [],
    cupsByHourOfDay: Array.from({ length: 24 }, () => 0),
    cupsPerDay: [],
  };
}

export function snapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    generatedAt: new Date(T0).toISOString(),
    telemetryWindowMs: HOUR,
    telemetryStepMs: STEP,
    devices: [device('dev-1')],
    telemetry: { 'dev-1': [point(T0 - 20_000), point(T0 - 10_000)] },
    stats: stats(1),
    coffees: [coffee('photo-1')],
    ...overrides,
  };
}
