import { describe, expect, it } from 'vitest';
import { appendPoints, trimToWindow } from './series.js';
import { HOUR, point, STEP, T0 } from './testing/fixtures.js';

const times = (series: readonly { t: number }[]) => series.map((p) => p.t);

describe('appendPoints', () => {
  it('appends points in later steps', () => {
    const series = appendPoints([point(T0)], [point(T0 + STEP), point(T0 + 2 * STEP)], STEP);
    expect(times(series)).toEqual([T0, T0 + STEP, T0 + 2 * STEP]);
  });

  it('keeps one point per step, the newest, so 1 Hz readings do not pile up', () => {
    const incoming = Array.from({ length: 10 }, (_, i) => point(T0 + i * 1000, 20 + i));
    const series = appendPoints([], incoming, STEP);
    expect(series).toHaveLength(1);
    expect(series[0]).toEqual(point(T0 + 9000, 29));
  });

  it('ignores points not newer than the last, as replayed after a reconnect', () => {
    const series = appendPoints([point(T0), point(T0 + STEP)], [point(T0), point(T0 + STEP)], STEP);
    expect(times(series)).toEqual([T0, T0 + STEP]);
  });

  it('does not change the series it was given', () => {
    const original = [point(T0)];
    appendPoints(original, [point(T0 + STEP)], STEP);
    expect(original).toHaveLength(1);
  });
});

describe('trimToWindow', () => {
  it('drops points older than the window', () => {
    const series = [point(T0 - HOUR - 1), point(T0 - HOUR), point(T0 - 1000)];
    expect(times(trimToWindow(series, T0, HOUR))).toEqual([T0 - HOUR, T0 - 1000]);
  });

  it('drops everything when all points are old', () => {
    expect(trimToWindow([point(T0 - 2 * HOUR)], T0, HOUR)).toEqual([]);
  });

  it('returns the same array when nothing is old, so callers can tell nothing changed', () => {
    const series = [point(T0 - 1000)];
    expect(trimToWindow(series, T0, HOUR)).toBe(series);
  });
});
