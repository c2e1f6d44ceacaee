import type { TelemetryReading } from '@coffee-iot/shared';
import { type AmbientCompensationOptions, ambientTemperature } from './sensors/compensation.js';
import type { SensorSample } from './sensors/sensor-port.js';

/**
 * Decimal places kept per quantity: a little finer than each Sense HAT sensor resolves
 * (HTS221 ±0.5 °C / ±3.5 %RH, LPS25H ~0.01 hPa noise), so rounding loses nothing real while
 * float noise like 21.340000000000003 stays out of every message we pay for by the byte.
 */
const DECIMALS = {
  temperature: 2,
  humidity: 2,
  pressure: 2,
  angle: 2,
  accel: 4,
  gyro: 4,
  mag: 2,
} as const;

/** The reading the spool will number: everything but `seq`. */
export function buildReading(
  sample: SensorSample,
  takenAtMs: number,
  cpuC: number | null,
  compensation: AmbientCompensationOptions,
): Omit<TelemetryReading, 'seq'> {
  const reading: Omit<TelemetryReading, 'seq'> = {
    ts: new Date(takenAtMs).toISOString(),
    temperature: round(sample.temperature, DECIMALS.temperature),
    humidity: round(sample.humidity, DECIMALS.humidity),
    pressure: round(sample.pressure, DECIMALS.pressure),
    pitch: roundAngle(sample.pitch),
    roll: roundAngle(sample.roll),
    yaw: roundAngle(sample.yaw),
  };
  if (cpuC !== null) reading.temperatureCpu = round(cpuC, DECIMALS.temperature);
  const ambient = ambientTemperature(sample.temperature, cpuC, compensation);
  if (ambient !== null) reading.temperatureAmbient = round(ambient, DECIMALS.temperature);
  if (sample.accel) {
    reading.accelX = round(sample.accel.x, DECIMALS.accel);
    reading.accelY = round(sample.accel.y, DECIMALS.accel);
    reading.accelZ = round(sample.accel.z, DECIMALS.accel);
  }
  if (sample.gyro) {
    reading.gyroX = round(sample.gyro.x, DECIMALS.gyro);
    reading.gyroY = round(sample.gyro.y, DECIMALS.gyro);
    reading.gyroZ = round(sample.gyro.z, DECIMALS.gyro);
  }
  if (sample.compass) {
    reading.magX = round(sample.compass.x, DECIMALS.mag);
    reading.magY = round(sample.compass.y, DECIMALS.mag);
    reading.magZ = round(sample.compass.z, DECIMALS.mag);
  }
  return reading;
}

export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  // `+ 0` turns -0 into 0 so a value never prints as "-0" in logs or tests.
  return Math.round(value * scale) / scale + 0;
}

/** Angles live in [0, 360); 359.996 rounds to 360.00, which is 0. */
function roundAngle(degrees: number): number {
  const rounded = round(degrees, DECIMALS.angle);
  return rounded >= 360 ? rounded - 360 : rounded;
}
