import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('takes a new period at once: the waiting run is rescheduled one new period from the change', async () => {
    const runs: number[] = [];
    const task = new PeriodicTask(
      'health',
      60_000,
      () => void runs.push(Date.now()),
      systemTimers,
      silentLogger(),
    );
    task.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toEqual([60_000]);
    await vi.advanceTimersByTimeAsync(1000);

    task.setPeriodMs(5000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual([60_000, 66_000, 71_000]);
    await task.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(3);
  });
});
