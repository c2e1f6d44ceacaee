/**
 * Milliseconds on a clock that never steps. It must be system-wide (CLOCK_MONOTONIC, counted from
 * boot), not per process like performance.now(): the offset between the wall clock and it is then
 * the same in every process of one boot, which is what lets a reading be restamped after a restart.
 */
export interface MonotonicClock {
  now(): number;
}

// process.hrtime is CLOCK_MONOTONIC on Linux. Late-bound so vitest's fake timers can replace it.
export const systemMonotonic: MonotonicClock = { now: () => Number(process.hrtime.bigint() / 1_000_000n) };
