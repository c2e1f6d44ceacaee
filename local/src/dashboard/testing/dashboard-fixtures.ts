import { UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import type { CoffeeView, DashboardEvents, DashboardSnapshot } from '../api-types.js';

const GROUP = {
  cups: 1,
  analyzed: 1,
  withPerson: { known: 1, yes: 1, rate: 1 },
  smile: { known: 1, yes: 1, rate: 1 },
  eyeglasses: { known: 1, yes: 0, rate: 0 },
  sunglasses: { known: 1, yes: 0, rate: 0 },
  beard: { known: 0, yes: 0, rate: null },
  mustache: { known: 0, yes: 0, rate: null },
};

export function coffeeView(overrides: Partial<CoffeeView> = {}): CoffeeView {
  return {
    ...UNKNOWN_FACE_ATTRIBUTES,
    deviceId: 'coffee-pi-1',
    eventId: '0b7e2c1a-6f0e-4a43-9d2b-5f1f2a7c9e10',
    photoKey: 'photos/coffee-pi-1/2025/06/01/0b7e2c1a.jpg',
    capturedAt: '2025-06-01T08:30:00.000Z',
    analyzedAt: '2025-06-01T08:30:02.000Z',
    status: 'analyzed',
    reason: null,
    analyzer: 'fake',
    personPresent: true,
    faceCount: 1,
    smile: true,
    photoUrl: '/api/photos/photos/coffee-pi-1/2025/06/01/0b7e2c1a.jpg',
    ...overrides,
  };
}

export function statsFixture(): DashboardEvents['coffee']['stats'] {
  return {
    overall: GROUP,
    perDevice: [{ ...GROUP, deviceId: 'coffee-pi-1' }],
    cupsByHourOfDay: Array.from({ length: 24 }, (_, hour) => (hour === 8 ? 1 : 0)),
    cupsPerDay: [{ day: '2025-06-01', cups: 1 }],
  };
}

export function snapshotFixture(): DashboardSnapshot {
  return {
    generatedAt: '2025-06-01T09:00:00.000Z',
    telemetryWindowMs: 3_600_000,
    telemetryStepMs: 10_000,
    devices: [
      {
        deviceId: 'coffee-pi-1',
        online: true,
        lastSeenAt: '2025-06-01T08:59:58.000Z',
        spoolDepth: 0,
        droppedReadings: 0,
        outboxDepth: 0,
        outboxDropped: 0,
        owner: 'kitchen',
        location: 'floor 2',
      },
    ],
    telemetry: {
      'coffee-pi-1': [
        { t: 1_748_768_390_000, temperature: 21.5, humidity: 40, pressure: 1013, pitch: 0, roll: 0, yaw: 90 },
      ],
    },
    stats: statsFixture(),
    coffees: [coffeeView()],
  };
}
