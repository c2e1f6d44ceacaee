import type { TelemetryReading } from '@coffee-iot/shared';

/** A minimal valid reading (core fields only) taken at `takenAtMs`, for tests that need many. */
export function sampleReading(takenAtMs: number): Omit<TelemetryReading, 'seq'> {
  return {
    ts: new Date(takenAtMs).toISOString(),
    temperature: 21,
    humidity: 40,
    pressure: 1013,
    pitch: 0,
    roll: 0,
    yaw: 0,
  };
}
