import type { DriverFailureKind } from '../driver-failure.js';

/**
 * The Sense HAT as the rest of the agent sees it. Only `sense-hat-sensors.ts` imports the
 * driver; the mock implements the same port for laptops and tests.
 */
export interface SensorSample {
  /** °C from the humidity sensor (raw: the HAT sits over the warm CPU). */
  temperature: number;
  /** %RH */
  humidity: number;
  /** hPa */
  pressure: number;
  /** Degrees. */
  pitch: number;
  roll: number;
  yaw: number;
  /** g */
  accel?: Vector3;
  /** rad/s */
  gyro?: Vector3;
  /** µT */
  compass?: Vector3;
}

export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

export interface SensorReader {
  /** Human-readable adapter name for logs and health ("sense-hat", "mock"). */
  readonly name: string;
  /** One reading; rejects with SensorReadError when the hardware does not answer. */
  read(): Promise<SensorSample>;
  /** Releases the hardware. Idempotent. */
  close(): Promise<void>;
}

export class SensorReadError extends Error {
  override readonly name = 'SensorReadError';
}

/**
 * The sensors cannot be used at all. `reason` tells an install problem (the driver module is
 * missing or cannot load on this machine: reinstall) from absent hardware (the driver loaded and
 * the HAT did not answer: seat it, enable I2C); they exit with different codes.
 */
export class SensorUnavailableError extends Error {
  override readonly name = 'SensorUnavailableError';
  constructor(
    message: string,
    readonly reason: DriverFailureKind,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
