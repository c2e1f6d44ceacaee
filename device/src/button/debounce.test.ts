import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock, systemTimers } from '../ports/clock.js';
import { DebounceConfigError, type DebounceOptions, Debouncer, type Level } from './debounce.js';

const T0 = 1_700_000_000_000;

describe('Debouncer', () => {
  let presses: number[];
  const make = (options: Partial<DebounceOptions> = {}) =>
    new Debouncer({
      clock: systemClock,
      timers: systemTimers,
      onPress: (atMs) => presses.push(atMs),
      ...options,
    });

  /** Feeds `level` at `offsetMs` after T0 (absolute, so bursts read like an oscilloscope trace). */
  const edgeAt = async (debouncer: Debouncer, offsetMs: number, level: Level) => {
    await vi.advanceTimersByTimeAsync(T0 + offsetMs - Date.now());
    debouncer.input(level);
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    presses = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns five bouncing edges within 20 ms into one press, stamped at the first edge', async () => {
    const debouncer = make(); // active-low, 50 ms
    for (const [offset, level] of [
      [0, 0],
      [4, 1],
      [9, 0],
      [14, 1],
      [19, 0],
    ] as const) {
      await edgeAt(debouncer, offset, level);
    }
    await vi.advanceTimersByTimeAsync(49);
    expect(presses).toEqual([]); // 68 ms: the last edge is only 49 ms old
    await vi.advanceTimersByTimeAsync(1);
    expect(presses).toEqual([T0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(presses).toEqual([T0]);
    expect(debouncer.pressed).toBe(true);
  });

  it('counts nothing for the release, bouncing or not, and one press per push', async () => {
    const debouncer = make();
    await edgeAt(debouncer, 0, 0);
    await edgeAt(debouncer, 300, 1); // release
    await edgeAt(debouncer, 303, 0); // release bounce
    await edgeAt(debouncer, 306, 1);
    await edgeAt(debouncer, 1000, 0); // second push
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([T0, T0 + 1000]);
  });

  it('ignores a spike shorter than the window that ends at the idle level', async () => {
    const debouncer = make();
    await edgeAt(debouncer, 0, 0);
    await edgeAt(debouncer, 10, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(presses).toEqual([]);
    expect(debouncer.pressed).toBe(false);
  });

  it('takes repeated reports of the same level as bounces that restart the window', async () => {
    const debouncer = make({ debounceMs: 30 });
    await edgeAt(debouncer, 0, 0);
    await edgeAt(debouncer, 25, 0);
    await edgeAt(debouncer, 50, 0);
    await vi.advanceTimersByTimeAsync(29);
    expect(presses).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(presses).toEqual([T0]);
  });

  it('honours a configured window', async () => {
    const debouncer = make({ debounceMs: 10 });
    await edgeAt(debouncer, 0, 0);
    await vi.advanceTimersByTimeAsync(10);
    expect(presses).toEqual([T0]);
  });

  it('emits at once with a window of 0', async () => {
    const debouncer = make({ debounceMs: 0 });
    debouncer.input(0);
    expect(presses).toEqual([T0]);
    debouncer.input(1);
    debouncer.input(0);
    expect(presses).toEqual([T0, T0]);
  });

  it('treats 1 as pressed when active-high (button to 3.3 V, pull-down)', async () => {
    const debouncer = make({ activeLow: false });
    expect(debouncer.idleLevel).toBe(0);
    await edgeAt(debouncer, 0, 0);
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([]);
    await edgeAt(debouncer, 200, 1);
    await edgeAt(debouncer, 203, 0);
    await edgeAt(debouncer, 206, 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([T0 + 200]);
  });

  it('does not count a button held down at start (reset to the level read on open)', async () => {
    const debouncer = make();
    debouncer.reset(0);
    expect(debouncer.pressed).toBe(true);
    await edgeAt(debouncer, 0, 0);
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([]);
    await edgeAt(debouncer, 200, 1);
    await edgeAt(debouncer, 400, 0);
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([T0 + 400]);
  });

  it('emits nothing for a pending window after dispose or reset', async () => {
    const debouncer = make();
    await edgeAt(debouncer, 0, 0);
    debouncer.reset(1);
    await vi.advanceTimersByTimeAsync(100);
    await edgeAt(debouncer, 200, 0);
    debouncer.dispose();
    await vi.advanceTimersByTimeAsync(100);
    debouncer.input(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a negative, non-finite or absurd window', () => {
    for (const debounceMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 60_000]) {
      expect(() => make({ debounceMs })).toThrow(DebounceConfigError);
    }
  });
});
