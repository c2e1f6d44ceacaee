import { type TelemetryEnvelope, type TelemetryReading, telemetryIngestRecord } from '@coffee-iot/shared';

/*
 * Telemetry ingest records (what the IoT rule puts on the stream) for the lake's tests and
 * benchmarks: one builder, so they all feed the transform the same realistic shape.
 */

/**
 * Reading `seq`: every optional sensor field, as the agent on a Pi sends them (the largest real
 * shape), values from a slow wave over `seq` shifted by `phase`; `ts` is `firstMs` plus `seq`
 * seconds.
 */
export function fullReading(seq: number, firstMs: number, phase = 0): TelemetryReading {
  const wave = Math.sin(seq / 600 + phase);
  return {
    seq,
    ts: new Date(firstMs + seq * 1000).toISOString(),
    temperature: Number((31 + wave).toFixed(2)),
    humidity: Number((38 + 2 * wave).toFixed(2)),
    pressure: Number((1012 + wave / 3).toFixed(2)),
    pitch: Number((1.2 + wave / 10).toFixed(3)),
    roll: Number((358.9 - wave / 10).toFixed(3)),
    yaw: Number((92.3 + wave).toFixed(3)),
    temperatureAmbient: Number((22 + wave / 2).toFixed(2)),
    temperatureCpu: Number((50 + 4 * wave).toFixed(1)),
    accelX: Number((0.01 * wave).toFixed(4)),
    accelY: Number((-0.02 * wave).toFixed(4)),
    accelZ: Number((0.99 + 0.001 * wave).toFixed(4)),
    gyroX: Number((0.001 * wave).toFixed(4)),
    gyroY: Number((0.002 * wave).toFixed(4)),
    gyroZ: Number((-0.001 * wave).toFixed(4)),
    magX: Number((21.3 + wave).toFixed(3)),
    magY: Number((-4.1 + wave).toFixed(3)),
    magZ: Number((40.7 - wave).toFixed(3)),
  };
}

/**
 * The telemetry ingest record of `deviceId` carrying `readings`, as JSON, as the topic rule writes
 * it for a message on `deviceId`'s own topic; `extra` fields are merged over it (a bad bootId, a
 * reingested count, another topic's `thing`).
 */
export function telemetryIngestJson(
  deviceId: string,
  bootId: string,
  readings: TelemetryReading[],
  extra: object = {},
): string {
  const envelope: TelemetryEnvelope = { v: 1, deviceId, bootId, readings };
  return JSON.stringify({ ...telemetryIngestRecord(envelope, deviceId), ...extra });
}
