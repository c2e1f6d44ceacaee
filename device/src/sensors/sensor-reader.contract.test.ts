import { describe, expect, it } from 'vitest';
import { MockSensors } from './mock-sensors.js';
import type { NodeImuData } from './sense-hat-sensors.js';
import { openSenseHat } from './sense-hat-sensors.js';
import { SensorReadError, type SensorReader } from './sensor-port.js';

/** One suite for every SensorReader, so the mock used in --mock mode behaves like the HAT. */
function sensorReaderContract(name: string, open: () => Promise<SensorReader>) {
  describe(`SensorReader contract: ${name}`, () => {
    it('returns finite values in the units and ranges of the port', async () => {
      const sensors = await open();
      const sample = await sensors.read();
      for (const key of ['temperature', 'humidity', 'pressure', 'pitch', 'roll', 'yaw'] as const) {
        expect(Number.isFinite(sample[key]), key).toBe(true);
      }
      expect(sample.humidity).toBeGreaterThanOrEqual(0);
      expect(sample.humidity).toBeLessThanOrEqual(100);
      expect(sample.pressure).toBeGreaterThan(0);
      for (const angle of [sample.pitch, sample.roll, sample.yaw]) {
        expect(angle).toBeGreaterThanOrEqual(0);
        expect(angle).toBeLessThan(360);
      }
      await sensors.close();
    });

    it('rejects reads with SensorReadError after close, and closes idempotently', async () => {
      const sensors = await open();
      await sensors.close();
      await sensors.close();
      await expect(sensors.read()).rejects.toBeInstanceOf(SensorReadError);
    });
  });
}

const LEVEL_BOARD: NodeImuData = {
  accel: { x: 0.002, y: -0.004, z: 1.001 },
  gyro: { x: 0, y: 0, z: 0 },
  compass: { x: 20, y: 5, z: -44 },
  fusionPose: { x: -0.0001, y: 0.0002, z: -1.5 },
  pressure: 1009.1,
  temperature: 29.4,
  humidity: 38.2,
};

sensorReaderContract('mock', async () => new MockSensors({ seed: 11 }));
sensorReaderContract('sense-hat (fake driver)', () =>
  openSenseHat({
    loadDriver: async () => ({
      default: {
        Imu: {
          IMU: class {
            getValue(callback: (error: unknown, data?: NodeImuData) => void) {
              setImmediate(() => callback(null, LEVEL_BOARD));
            }
          },
        },
      },
    }),
  }),
);
