import { performance } from 'node:perf_hooks';

/**
 * Wall and CPU time of one measured piece of work in this process. CPU time (user + system, every
 * thread of the process: DuckDB's, libuv's pool, aws-crt's) is what holds on a busy machine: other
 * work on the cores stretches the wall time but not the CPU this process spent.
 */
export interface Timed {
  wallMs: number;
  cpuMs: number;
}

export interface TimedResult<T> extends Timed {
  result: T;
}

/** Starts a clock; `stop()` returns the wall and CPU milliseconds since. */
export function startClock(): { stop(): Timed } {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  return {
    stop() {
      const cpu = process.cpuUsage(cpu0);
      return { wallMs: performance.now() - wall0, cpuMs: (cpu.user + cpu.system) / 1000 };
    },
  };
}

export async function timeAsync<T>(work: () => Promise<T>): Promise<TimedResult<T>> {
  const clock = startClock();
  const result = await work();
  return { ...clock.stop(), result };
}

export function timeSync<T>(work: () => T): TimedResult<T> {
  const clock = startClock();
  const result = work();
  return { ...clock.stop(), result };
}

/** Items per second of wall time and per CPU-second. */
export function ratesOf(items: number, timed: Timed): { perWallSecond: number; perCpuSecond: number } {
  return {
    perWallSecond: items / (timed.wallMs / 1000),
    perCpuSecond: items / (timed.cpuMs / 1000),
  };
}

/**
 * How a measured path compares with its baseline on the same items in the same run, as a speed
 * ratio (1 = as fast as the baseline, 0.5 = half its speed): baseline time / measured time, for
 * CPU and wall time alike.
 */
export function speedRatios(measured: Timed, baseline: Timed): { cpu: number; wall: number } {
  return { cpu: baseline.cpuMs / measured.cpuMs, wall: baseline.wallMs / measured.wallMs };
}
