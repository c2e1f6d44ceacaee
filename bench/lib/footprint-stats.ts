import { CLOCK_TICKS, type ProcSample } from './proc.js';
import { linearTrend, median, minMaxMedian } from './stats.js';

export interface Footprint {
  rssMb: { min: number; median: number; max: number };
  /** Medians of the anonymous and file-backed parts of RSS. */
  rssAnonMb: number;
  rssFileMb: number;
  /** Average CPU over the sampled period, % of one core. */
  cpuPercent: number;
  /** CPU seconds used before the first sample (start-up, connect). */
  startupCpuSeconds: number;
  /** Least-squares RSS slope over the second half of the samples, MB/hour, and its standard error. */
  trendMbPerHour: number;
  trendStderrMbPerHour: number;
  /** How long the second half lasted: the span the trend is fitted over. */
  trendSpanSeconds: number;
  samples: number;
}

const MB = 1024;

export function summarise(samples: readonly ProcSample[]): Footprint {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || samples.length < 3) throw new Error('need at least 3 samples');
  const cpuSeconds = (last.cpuTicks - first.cpuTicks) / CLOCK_TICKS;
  const wallSeconds = (last.atMs - first.atMs) / 1000;
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  const trend = linearTrend(
    secondHalf.map((s) => s.atMs / 3_600_000),
    secondHalf.map((s) => s.rssKb / MB),
  );
  return {
    rssMb: minMaxMedian(samples.map((s) => s.rssKb / MB)),
    rssAnonMb: median(samples.map((s) => s.rssAnonKb / MB)),
    rssFileMb: median(samples.map((s) => s.rssFileKb / MB)),
    cpuPercent: (100 * cpuSeconds) / wallSeconds,
    startupCpuSeconds: first.cpuTicks / CLOCK_TICKS,
    trendMbPerHour: trend.slope,
    trendStderrMbPerHour: trend.stderr,
    trendSpanSeconds: ((secondHalf.at(-1)?.atMs ?? 0) - (secondHalf[0]?.atMs ?? 0)) / 1000,
    samples: samples.length,
  };
}

/** A rise that would cost 24 MB a day: the agent would pass the RSS goal within days. */
export const TREND_LIMIT_MB_PER_HOUR = 1;

/**
 * Below this the fit sees one rise of V8's garbage-collection sawtooth (RSS climbs for ~40 s,
 * then drops) and calls it a trend: no verdict then.
 */
export const MIN_TREND_SPAN_SECONDS = 120;

/**
 * "Upward trend" = a slope above TREND_LIMIT_MB_PER_HOUR beyond noise: even its lower bound
 * (slope − 2 standard errors) is above the limit. null when the run is too short to tell.
 */
export function risesSignificantly(f: Footprint): boolean | null {
  if (f.trendSpanSeconds < MIN_TREND_SPAN_SECONDS) return null;
  return f.trendMbPerHour - 2 * f.trendStderrMbPerHour > TREND_LIMIT_MB_PER_HOUR;
}

/** A memory series (kB, sampled at atMs) as the published method reports it. */
export interface SeriesSummary {
  medianMb: number;
  minMb: number;
  maxMb: number;
  /** Least-squares slope over the whole measured window, MB/hour, and its standard error. */
  trendMbPerHour: number;
  trendStderrMbPerHour: number;
  trendSpanSeconds: number;
}

export function summariseSeries(points: readonly { atMs: number; kb: number }[]): SeriesSummary {
  if (points.length < 3) throw new Error('need at least 3 samples');
  const mbs = points.map((p) => p.kb / MB);
  const { min, median: mid, max } = minMaxMedian(mbs);
  const trend = linearTrend(
    points.map((p) => p.atMs / 3_600_000),
    mbs,
  );
  return {
    medianMb: mid,
    minMb: min,
    maxMb: max,
    trendMbPerHour: trend.slope,
    trendStderrMbPerHour: trend.stderr,
    trendSpanSeconds: ((points.at(-1)?.atMs ?? 0) - (points[0]?.atMs ?? 0)) / 1000,
  };
}

/** risesSignificantly for one series: null when the window is too short to tell. */
export function seriesRises(s: SeriesSummary): boolean | null {
  if (s.trendSpanSeconds < MIN_TREND_SPAN_SECONDS) return null;
  return s.trendMbPerHour - 2 * s.trendStderrMbPerHour > TREND_LIMIT_MB_PER_HOUR;
}
