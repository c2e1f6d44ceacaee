import { type IngestParseOptions, type ParsedIngestRecord, parseIngestRecord } from '@coffee-iot/shared';
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

/**
 * The dashboard's points from one ingest record: exactly the readings the lake lands, through the
 * same shared check (the topic's thing and the partition key are the identity, each reading in
 * range); null for a record the lake refuses whole, and for anything that is not telemetry. The
 * lake refuses and counts what is left out (errors/); the dashboard just does not draw it. Never
 * throws: the stream reader would retry the batch for ever and the lake behind it would stop.
 */
export function telemetryPoints(
  data: Uint8Array,
  arrival: IngestParseOptions,
): { deviceId: string; points: TelemetryPoint[] } | null {
  let parsed: ParsedIngestRecord;
  try {
    parsed = parseIngestRecord(data, arrival);
  } catch {
    return null;
  }
  if (parsed.type !== 'telemetry') return null;
  const { deviceId, readings } = parsed.envelope;
  const points = readings.map(
    ({ ts, temperature, humidity, pressure, pitch, roll, yaw }): TelemetryPoint => ({
      t: Date.parse(ts),
      temperature,
      humidity,
      pressure,
      pitch,
      roll,
      yaw,
    }),
  );
  return { deviceId, points };
}
