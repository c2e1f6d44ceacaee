import { describe, expect, it } from 'vitest';
import { MockSensors } from './mock-sensors.js';
import { mulberry32 } from './prng.js';
import { SensorReadError, type SensorSample } from './sensor-port.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

function clockAt(start: number) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

async function readEvery(sensors: MockSensors, clock: { t: number }, stepMs: number, count: number) {
  const samples: SensorSample[] = [];
  for (let i = 0; i < count; i++) {
    samples.push(await sensors.read());
    clock.t += stepMs;
  }
  return samples;
}

/** Smallest difference between two angles in degrees, across the 0/360 seam. */
function angleDelta(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

describe('mulberry32', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    for (const value of first) expect(value).toBeGreaterThanOrEqual(0);
  });
});

describe('MockSensors', () => {
  it('gives the same readings for the same seed and times, whatever was read before', async () => {
    const clockA = clockAt(T0);
    const clockB = clockAt(T0 - 5000);
    const a = new MockSensors({ seed: 7, clock: clockA });
    const b = new MockSensors({ seed: 7, clock: clockB });
    await readEvery(b, clockB, 1000, 5); // b has drawn more values, and is now at T0
    expect(await readEvery(a, clockA, 1000, 20)).toEqual(await readEvery(b, clockB, 1000, 20));
  });

  it('gives different readings for a different seed', async () => {
    const a = new MockSensors({ seed: 1, clock: clockAt(T0) });
    const b = new MockSensors({ seed: 2, clock: clockAt(T0) });
    expect(await a.read()).not.toEqual(await b.read());
  });

  it('stays in plausible room ranges over a day', async () => {
    const clock = clockAt(T0);
    const day = await readEvery(new MockSensors({ seed: 3, clock }), clock, 60_000, 24 * 60);
    for (const s of day) {
      expect(s.temperature).toBeGreaterThan(20.5);
      expect(s.temperature).toBeLessThan(24.5);
      expect(s.humidity).toBeGreaterThanOrEqual(30);
      expect(s.humidity).toBeLessThanOrEqual(60);
      expect(s.pressure).toBeGreaterThan(999);
      expect(s.pressure).toBeLessThan(1026);
      for (const angle of [s.pitch, s.roll, s.yaw]) {
        expect(angle).toBeGreaterThanOrEqual(0);
        expect(angle).toBeLessThan(360);
      }
      const g = Math.hypot(s.accel?.x ?? 0, s.accel?.y ?? 0, s.accel?.z ?? 0);
      expect(g).toBeGreaterThan(0.95);
      expect(g).toBeLessThan(1.05);
    }
    const temperatures = day.map((s) => s.temperature);
    expect(Math.max(...temperatures) - Math.min(...temperatures)).toBeGreaterThan(1); // it drifts
  });

  it('varies slowly from second to second, while the orientation visibly moves over minutes', async () => {
    const clock = clockAt(T0);
    const sensors = new MockSensors({ seed: 5, clock });
    const seconds = await readEvery(sensors, clock, 1000, 600);
    for (let i = 1; i < seconds.length; i++) {
      const [prev, next] = [seconds[i - 1] as SensorSample, seconds[i] as SensorSample];
      expect(Math.abs(next.temperature - prev.temperature)).toBeLessThan(0.5);
      expect(Math.abs(next.pressure - prev.pressure)).toBeLessThan(0.5);
      expect(angleDelta(next.yaw, prev.yaw)).toBeLessThan(2);
    }
    const yaws = seconds.map((s) => s.yaw);
    expect(Math.max(...yaws) - Math.min(...yaws)).toBeGreaterThan(5);
  });

  it('injects failures on every n-th read and through a hook', async () => {
    const every = new MockSensors({ failEvery: 3, clock: clockAt(T0) });
    const outcomes = [];
    for (let i = 0; i < 6; i++)
      outcomes.push(
        await every.read().then(
          () => 'ok',
          (e: unknown) => e,
        ),
      );
    expect(outcomes.map((o) => (o instanceof SensorReadError ? 'fail' : o))).toEqual([
      'ok',
      'ok',
      'fail',
      'ok',
      'ok',
      'fail',
    ]);

    const hooked = new MockSensors({ shouldFail: (n) => n === 2, clock: clockAt(T0) });
    await expect(hooked.read()).resolves.toBeDefined();
    await expect(hooked.read()).rejects.toThrow(/injected failure on read 2/);
  });
});
