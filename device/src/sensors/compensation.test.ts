import { describe, expect, it } from 'vitest';
import {
  ambientTemperature,
  CompensationConfigError,
  checkCompensationOptions,
  DEFAULT_AMBIENT_COMPENSATION,
} from './compensation.js';

describe('ambientTemperature', () => {
  it('applies T_sensor − (T_cpu − T_sensor) / factor', () => {
    // 30 − (48 − 30) / 1.5 = 18
    expect(ambientTemperature(30, 48, DEFAULT_AMBIENT_COMPENSATION)).toBeCloseTo(18, 10);
    expect(ambientTemperature(30, 48, { enabled: true, factor: 6 })).toBeCloseTo(27, 10);
  });

  it('gives no value when turned off or when the CPU temperature is unknown', () => {
    expect(ambientTemperature(30, 48, { enabled: false, factor: 1.5 })).toBeNull();
    expect(ambientTemperature(30, null, DEFAULT_AMBIENT_COMPENSATION)).toBeNull();
  });

  it('gives no value when the CPU is cooler than the sensor (something else warms it)', () => {
    expect(ambientTemperature(35, 33, DEFAULT_AMBIENT_COMPENSATION)).toBeNull();
  });

  it('rejects a factor that is not a positive number', () => {
    for (const factor of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkCompensationOptions({ enabled: true, factor })).toThrow(CompensationConfigError);
    }
    expect(() => checkCompensationOptions(DEFAULT_AMBIENT_COMPENSATION)).not.toThrow();
  });
});
