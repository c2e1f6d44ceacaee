import type { TelemetryPoint } from '../dashboard/api-types.js';

export const TELEMETRY_WINDOW_MS = 3_600_000;
export const TELEMETRY_STEP_MS = 10_000;

/**
 * The last hour of telemetry per device, thinned to one point per step (the newest reading in
 * each step wins) so a snapshot of 25 devices stays a few hundred KB.
 */
export class TelemetryWindow {
  private readonly series = new Map<string, TelemetryPoint[]>();

  constructor(
    private readonly windowMs = TELEMETRY_WINDOW_MS,
    private readonly stepMs = TELEMETRY_STEP_MS,
  ) {}

  add(deviceId: string, point: TelemetryPoint): void {
    let points = this.series.get(deviceId);
    if (points === undefined) {
      points = [];
      this.series.set(deviceId, points);
    }
    const last = points[points.length - 1];
    if (last !== undefined && Math.floor(last.t / this.stepMs) === Math.floor(point.t / this.stepMs)) {
      if (point.t >= last.t) points[points.length - 1] = point;
      return;
    }
    if (last !== undefined && point.t < last.t) return; // late reading: the window already moved on
    points.push(point);
  }

  /** Every device's points within the window ending at `nowMs`, oldest first. */
  snapshot(nowMs: number): Record<string, TelemetryPoint[]> {
    const from = nowMs - this.windowMs;
    const result: Record<string, TelemetryPoint[]> = {};
    for (const [deviceId, points] of this.series) {
      const firstKept = points.findIndex((point) => point.t >= from);
      if (firstKept === -1) {
        this.series.delete(deviceId);
        continue;
      }
      if (firstKept > 0) points.splice(0, firstKept);
      result[deviceId] = [...points];
    }
    return result;
  }
}

/** The dashboard's points from one ingest record's bytes; null for anything that is not telemetry. */
export function telemetryPoints(data: Uint8Array): { deviceId: string; points: TelemetryPoint[] } | null {
  let record: unknown;
  try {
    record = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    // The lake refuses and counts bad records (errors/); the dashboard just does not draw them.
    return null;
  }
  // `null` or a reading that is not an object must not throw: the stream reader would retry the
  // batch for ever and the lake behind it would stop.
  if (record === null || typeof record !== 'object') return null;
  const envelope = record as { type?: unknown; deviceId?: unknown; thing?: unknown; readings?: unknown };
  if (
    envelope.type !== 'telemetry' ||
    typeof envelope.deviceId !== 'string' ||
    // The topic rule's `thing` is the device's identity: an envelope naming another device is
    // refused by the lake (errors/) and is not drawn under either id.
    envelope.thing !== envelope.deviceId ||
    !Array.isArray(envelope.readings)
  ) {
    return null;
  }
  const points: TelemetryPoint[] = [];
  for (const item of envelope.readings as unknown[]) {
    if (item === null || typeof item !== 'object') continue;
    const reading = item as Record<string, unknown>;
    const t = Date.parse(String(reading.ts));
    const values = [
      reading.temperature,
      reading.humidity,
      reading.pressure,
      reading.pitch,
      reading.roll,
      reading.yaw,
    ];
    if (Number.isNaN(t) || !values.every((value) => typeof value === 'number')) continue;
    const [temperature, humidity, pressure, pitch, roll, yaw] = values as number[];
    points.push({
      t,
      temperature: temperature as number,
      humidity: humidity as number,
      pressure: pressure as number,
      pitch: pitch as number,
      roll: roll as number,
      yaw: yaw as number,
    });
  }
  return { deviceId: envelope.deviceId, points };
}
