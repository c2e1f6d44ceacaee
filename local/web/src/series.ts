// A device's telemetry series over the last hour, kept small enough for a phone to redraw:
// devices publish at 1 Hz, the charts need one point per step (10 s), so at most ~360 points.
import type { TelemetryPoint } from './api.js';

/**
 * Appends `incoming` to `series` (both oldest first) keeping one point per `stepMs` bucket.
 * Within a bucket the newest point replaces the older one, so the chart's last point and the
 * printed current value are always the latest reading. Points not newer than the series' last
 * (replayed after a reconnect, or out of order) are ignored. Returns a new array.
 */
export function appendPoints(
  series: readonly TelemetryPoint[],
  incoming: readonly TelemetryPoint[],
  stepMs: number,
): TelemetryPoint[] {
  const out = series.slice();
  for (const point of incoming) {
    const last = out.at(-1);
    if (last !== undefined && point.t <= last.t) continue;
    if (last !== undefined && stepMs > 0 && bucket(point.t, stepMs) === bucket(last.t, stepMs)) {
      out[out.length - 1] = point;
    } else {
      out.push(point);
    }
  }
  return out;
}

/** Drops the points older than `windowMs` before `nowMs`; returns `series` itself when none are. */
export function trimToWindow(
  series: readonly TelemetryPoint[],
  nowMs: number,
  windowMs: number,
): readonly TelemetryPoint[] {
  const cutoff = nowMs - windowMs;
  const firstKept = series.findIndex((p) => p.t >= cutoff);
  if (firstKept === 0) return series;
  return firstKept === -1 ? [] : series.slice(firstKept);
}

const bucket = (t: number, stepMs: number) => Math.floor(t / stepMs);
