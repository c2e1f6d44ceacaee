import { type Clock, systemClock } from '../ports/clock.js';
import { normaliseDegrees } from './angles.js';
import { mixSeed, mulberry32, noise } from './prng.js';
import { SensorReadError, type SensorReader, type SensorSample } from './sensor-port.js';

export interface MockSensorsOptions {
  /** Same seed + same clock times → same readings. Default 1. */
  seed?: number;
  clock?: Clock;
  /** Every n-th read (n, 2n, …) rejects with SensorReadError; 0 or absent = never. */
  failEvery?: number;
  /** Called with the 1-based read number; returning true makes that read fail. */
  shouldFail?: (readNumber: number) => boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEG = Math.PI / 180;

/**
 * Plausible Sense HAT values for laptops and tests. Every value is a function of (seed, time)
 * alone: slow sinusoidal drifts with seed-chosen phases plus noise drawn from a PRNG seeded by
 * (seed, time), so a reading does not depend on how many reads came before it.
 */
export class MockSensors implements SensorReader {
  readonly name = 'mock';
  private readonly seed: number;
  private readonly clock: Clock;
  private readonly phases: readonly number[];
  private reads = 0;
  private closed = false;

  constructor(private readonly options: MockSensorsOptions = {}) {
    this.seed = options.seed ?? 1;
    this.clock = options.clock ?? systemClock;
    const random = mulberry32(this.seed);
    this.phases = Array.from({ length: 8 }, () => random() * 2 * Math.PI);
  }

  async read(): Promise<SensorSample> {
    if (this.closed) throw new SensorReadError('mock sensors are closed');
    this.reads += 1;
    if (this.injectFailure(this.reads)) {
      throw new SensorReadError(`mock sensors: injected failure on read ${this.reads}`);
    }
    return this.sampleAt(this.clock.now());
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private injectFailure(readNumber: number): boolean {
    const { failEvery, shouldFail } = this.options;
    if (failEvery && failEvery > 0 && readNumber % failEvery === 0) return true;
    return shouldFail?.(readNumber) ?? false;
  }

  private wave(t: number, periodMs: number, phaseIndex: number): number {
    return Math.sin((2 * Math.PI * t) / periodMs + (this.phases[phaseIndex] ?? 0));
  }

  private sampleAt(t: number): SensorSample {
    const random = mulberry32(mixSeed(this.seed, t));
    // Room climate: a 6-hour swell with a shorter ripple, the ranges the issue calls plausible.
    const temperature = 22.5 + 1.1 * this.wave(t, 6 * HOUR, 0) + 0.3 * this.wave(t, 47 * MINUTE, 1);
    const humidity = 45 + 10 * this.wave(t, 9 * HOUR, 2) + 3 * this.wave(t, 71 * MINUTE, 3);
    const pressure = 1012.5 + 8 * this.wave(t, 40 * HOUR, 4) + 2 * this.wave(t, 3 * HOUR, 5);
    // The Pi gets nudged now and then: small tilts and a yaw that wanders slowly.
    const pitch = 2 * this.wave(t, 10 * MINUTE, 6) + noise(random, 0.05);
    const roll = 1.5 * this.wave(t, 7 * MINUTE, 7) + noise(random, 0.05);
    const yaw = 180 + 40 * this.wave(t, 30 * MINUTE, 0) + noise(random, 0.2);
    return {
      temperature: temperature + noise(random, 0.05),
      humidity: Math.min(60, Math.max(30, humidity + noise(random, 0.3))),
      pressure: pressure + noise(random, 0.05),
      pitch: normaliseDegrees(pitch),
      roll: normaliseDegrees(roll),
      yaw: normaliseDegrees(yaw),
      // Gravity seen through the tilt, as the accelerometer would report it (g).
      accel: {
        x: -Math.sin(pitch * DEG) + noise(random, 0.01),
        y: Math.sin(roll * DEG) * Math.cos(pitch * DEG) + noise(random, 0.01),
        z: Math.cos(roll * DEG) * Math.cos(pitch * DEG) + noise(random, 0.01),
      },
      // A resting board: gyro noise around zero (rad/s).
      gyro: { x: noise(random, 0.002), y: noise(random, 0.002), z: noise(random, 0.002) },
      // Earth's field (~50 µT) turning with the yaw.
      compass: {
        x: 20 * Math.cos(yaw * DEG) + noise(random, 0.5),
        y: -20 * Math.sin(yaw * DEG) + noise(random, 0.5),
        z: -45 + noise(random, 0.5),
      },
    };
  }
}
