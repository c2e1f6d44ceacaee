/** Small, dependency-free statistics for the benchmarks. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100): the smallest value with at least p % of values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function minMaxMedian(values: readonly number[]): { min: number; median: number; max: number } {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/**
 * The most events in any window of `windowMs` (sliding, not aligned to second boundaries):
 * for each event, how many events fall in [t, t + windowMs).
 */
export function busiestWindow(
  timesMs: readonly number[],
  windowMs = 1000,
): { count: number; startMs: number } {
  const sorted = [...timesMs].sort((a, b) => a - b);
  let best = { count: 0, startMs: sorted[0] ?? 0 };
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    const from = sorted[start] as number;
    while (end < sorted.length && (sorted[end] as number) < from + windowMs) end += 1;
    if (end - start > best.count) best = { count: end - start, startMs: from };
  }
  return best;
}

/**
 * The shortest time spanned by `count` consecutive events: with count = limit + 1, anything
 * under windowMs says by how much a rate limit was overrun (Infinity when fewer events).
 */
export function shortestSpan(timesMs: readonly number[], count: number): number {
  const sorted = [...timesMs].sort((a, b) => a - b);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + count - 1 < sorted.length; i += 1) {
    best = Math.min(best, (sorted[i + count - 1] as number) - (sorted[i] as number));
  }
  return best;
}

/** Events per whole second (fixed buckets keyed by the integer second). */
export function busiestBucket(seconds: readonly number[]): { count: number; second: number } {
  const counts = new Map<number, number>();
  for (const second of seconds) counts.set(second, (counts.get(second) ?? 0) + 1);
  let best = { count: 0, second: 0 };
  for (const [second, count] of counts) if (count > best.count) best = { count, second };
  return best;
}

export interface Trend {
  /** Least-squares slope, units of y per unit of x. */
  slope: number;
  /** Standard error of the slope (NaN with fewer than 3 points). */
  stderr: number;
}

/** Ordinary least squares y = a + b·x. */
export function linearTrend(xs: readonly number[], ys: readonly number[]): Trend {
  const n = xs.length;
  if (n < 2) return { slope: Number.NaN, stderr: Number.NaN };
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = (xs[i] as number) - meanX;
    sxx += dx * dx;
    sxy += dx * ((ys[i] as number) - meanY);
  }
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let residuals = 0;
  for (let i = 0; i < n; i += 1) {
    const r = (ys[i] as number) - (intercept + slope * (xs[i] as number));
    residuals += r * r;
  }
  const stderr = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.NaN;
  return { slope, stderr };
}
