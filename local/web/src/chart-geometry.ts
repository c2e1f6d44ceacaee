// The numbers behind the hand-drawn SVG charts: value ranges and polyline coordinates.
// No DOM here, so scaling is unit-tested; view-chart.ts turns these into elements.

export interface Domain {
  min: number;
  max: number;
}

export interface Size {
  width: number;
  height: number;
}

/**
 * The y range for `values`, padded by a tenth of the span on each side so lines do not touch the
 * border, and at least `minSpan` wide so sensor noise on a steady reading is not drawn as a storm.
 * Null when there are no finite values.
 */
export function valueDomain(values: Iterable<number>, minSpan: number): Domain | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return null;
  const span = Math.max(max - min, minSpan);
  const mid = (min + max) / 2;
  const padded = span * 1.2;
  return { min: mid - padded / 2, max: mid + padded / 2 };
}

/** Maps `value` in `domain` to 0..`length`, clamped (a point at the window's edge stays drawn). */
export function scale(value: number, domain: Domain, length: number): number {
  const span = domain.max - domain.min;
  if (span <= 0) return length / 2;
  const ratio = (value - domain.min) / span;
  return Math.min(Math.max(ratio, 0), 1) * length;
}

/** An SVG `points` attribute: x from time, y from value with up at the top; 1 decimal is enough. */
export function polylinePoints(
  samples: readonly { t: number; v: number }[],
  x: Domain,
  y: Domain,
  size: Size,
): string {
  return samples
    .filter((s) => Number.isFinite(s.v))
    .map((s) => `${round1(scale(s.t, x, size.width))},${round1(size.height - scale(s.v, y, size.height))}`)
    .join(' ');
}

/** Bar heights for counts, the largest filling `maxHeight`; all zero when there are no counts. */
export function barHeights(counts: readonly number[], maxHeight: number): number[] {
  const largest = Math.max(0, ...counts);
  return counts.map((c) => (largest === 0 ? 0 : round1((c / largest) * maxHeight)));
}

const round1 = (n: number) => Math.round(n * 10) / 10;
