import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type NodeImuData, openSenseHat, toSensorSample } from './sense-hat-sensors.js';
import { SensorReadError, SensorUnavailableError } from './sensor-port.js';

/** Shaped like nodeimu's callback data on a Pi 4 with the HAT mounted directly (warm). */
const IMU_SAMPLE: NodeImuData = {
  timestamp: new Date('2026-03-01T12:00:00.123Z'),
  accel: { x: -0.0123, y: 0.0187, z: 0.9961 },
  gyro: { x: 0.0021, y: -0.0013, z: 0.0004 },
  compass: { x: 12.84, y: -21.07, z: -43.55 },
  fusionPose: { x: 0.018_665, y: -0.012_34, z: 2.094_395 },
  tiltHeading: 2.0712,
  pressure: 1013.4277,
  temperature: 31.8415,
  humidity: 35.2291,
};

type Callback = (error: unknown, data?: NodeImuData) => void;

/** A stand-in for node-sense-hat as `import()` returns it (CommonJS exports under `default`). */
function fakeDriver(getValue: (callback: Callback) => void) {
  class IMU {
    getValue = getValue;
  }
  return async () => ({ default: { Imu: { IMU } } });
}

describe('toSensorSample', () => {
  it('maps nodeimu units: fusionPose radians (x roll, y pitch, z yaw) to degrees in [0, 360)', () => {
    const sample = toSensorSample(IMU_SAMPLE);
    expect(sample).toEqual({
      temperature: 31.8415,
      humidity: 35.2291,
      pressure: 1013.4277,
      roll: expect.closeTo(1.0694, 3),
      pitch: expect.closeTo(359.293, 3),
      yaw: expect.closeTo(120, 3),
      accel: { x: -0.0123, y: 0.0187, z: 0.9961 },
      gyro: { x: 0.0021, y: -0.0013, z: 0.0004 },
      compass: { x: 12.84, y: -21.07, z: -43.55 },
    });
  });

  it('names every missing or non-numeric required value', () => {
    const { humidity: _h, ...withoutHumidity } = IMU_SAMPLE;
    expect(() => toSensorSample({ ...withoutHumidity, fusionPose: { x: 0, y: Number.NaN, z: 0 } })).toThrow(
      /humidity is undefined, fusionPose.y is NaN/,
    );
    expect(() => toSensorSample({ ...IMU_SAMPLE, pressure: 0 })).toThrow(SensorReadError);
  });

  it('clamps humidity the HTS221 extrapolates past 100 %', () => {
    expect(toSensorSample({ ...IMU_SAMPLE, humidity: 100.7 }).humidity).toBe(100);
  });

  it('leaves out a vector the driver did not fill', () => {
    const sample = toSensorSample({ ...IMU_SAMPLE, gyro: { x: 1, y: Number.NaN, z: 1 }, compass: undefined });
    expect(sample.gyro).toBeUndefined();
    expect(sample.compass).toBeUndefined();
    expect(sample.accel).toBeDefined();
  });
});

describe('openSenseHat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns a driver that cannot load into SensorUnavailableError naming the cause and --mock', async () => {
    const cause = new Error('Cannot detect RPi-Sense FB device');
    const opening = openSenseHat({
      loadDriver: async () => {
        throw cause;
      },
    });
    await expect(opening).rejects.toBeInstanceOf(SensorUnavailableError);
    await expect(opening).rejects.toThrow(/Cannot detect RPi-Sense FB device.*--mock/);
    await expect(opening).rejects.toMatchObject({ cause, reason: 'hardware-absent' });
    await expect(opening).rejects.toThrow(/seat the HAT.*\/dev\/i2c-1/);
  });

  it('says the module is missing from the install, not the hardware, when npm left it out', async () => {
    const missing = 'coffee-iot-no-such-sense-hat-driver';
    const opening = openSenseHat({ loadDriver: () => import(missing) });
    await expect(opening).rejects.toMatchObject({ reason: 'module-missing' });
    await expect(opening).rejects.toThrow(
      /node-sense-hat is missing or cannot load.*release tarball.*doctor/,
    );
    await expect(opening).rejects.not.toThrow(/seat the HAT/);
  });

  it('rejects a driver without Imu.IMU, and an IMU constructor that throws', async () => {
    await expect(openSenseHat({ loadDriver: async () => ({ default: {} }) })).rejects.toThrow(
      SensorUnavailableError,
    );
    class BrokenIMU {
      constructor() {
        throw new Error('I2C bus 1 not found');
      }
    }
    await expect(openSenseHat({ loadDriver: async () => ({ Imu: { IMU: BrokenIMU } }) })).rejects.toThrow(
      /I2C bus 1 not found/,
    );
  });

  it('reads a sample through the driver', async () => {
    const sensors = await openSenseHat({ loadDriver: fakeDriver((callback) => callback(null, IMU_SAMPLE)) });
    expect(sensors.name).toBe('sense-hat');
    await expect(sensors.read()).resolves.toMatchObject({
      temperature: 31.8415,
      yaw: expect.closeTo(120, 3),
    });
  });

  it('turns a driver error into SensorReadError with the cause', async () => {
    const sensors = await openSenseHat({ loadDriver: fakeDriver((callback) => callback('I2C read failed')) });
    await expect(sensors.read()).rejects.toMatchObject({
      name: 'SensorReadError',
      message: expect.stringContaining('I2C read failed'),
      cause: 'I2C read failed',
    });
  });

  it('times a silent read out, and does not queue another read behind it', async () => {
    const pending: Callback[] = [];
    const sensors = await openSenseHat({
      readTimeoutMs: 200,
      loadDriver: fakeDriver((callback) => pending.push(callback)),
    });
    const first = sensors.read();
    const outcome = expect(first).rejects.toThrow(/timed out after 200 ms/);
    await vi.advanceTimersByTimeAsync(200);
    await outcome;

    await expect(sensors.read()).rejects.toThrow(/previous Sense HAT read has not returned/);
    expect(pending).toHaveLength(1);

    pending[0]?.(null, IMU_SAMPLE); // the stuck read finally comes back
    const next = sensors.read();
    pending[1]?.(null, IMU_SAMPLE);
    await expect(next).resolves.toMatchObject({ pressure: 1013.4277 });
  });
});
