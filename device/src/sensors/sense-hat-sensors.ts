import { systemTimers, type TimerHandle, type Timers } from '../ports/clock.js';
import { radiansToDegrees } from './angles.js';
import {
  SensorReadError,
  type SensorReader,
  type SensorSample,
  SensorUnavailableError,
  type Vector3,
} from './sensor-port.js';

/**
 * What nodeimu's `IMU.getValue()` hands its callback (see nodeimu.cpp `PutMeasurement`):
 * accel in g, gyro in rad/s, compass in µT, fusionPose in radians (x=roll, y=pitch, z=yaw),
 * pressure in hPa, humidity in %RH. `pressure`/`temperature` and `humidity` are only present
 * when RTIMULib found those sensors, so every field is optional here.
 */
export interface NodeImuData {
  timestamp?: Date;
  accel?: Partial<Vector3>;
  gyro?: Partial<Vector3>;
  compass?: Partial<Vector3>;
  fusionPose?: Partial<Vector3>;
  tiltHeading?: number;
  temperature?: number;
  pressure?: number;
  humidity?: number;
}

interface NodeImu {
  getValue(callback: (error: unknown, data?: NodeImuData) => void): void;
}

type NodeImuConstructor = new () => NodeImu;

export interface SenseHatOptions {
  /** A read that has not answered by then rejects with SensorReadError. Default 500 ms. */
  readTimeoutMs?: number;
  timers?: Timers;
  /** Loads the driver module; tests pass a fake. Default: dynamic import of node-sense-hat. */
  loadDriver?: () => Promise<unknown>;
}

// A variable specifier keeps TypeScript from resolving a module that is absent on laptops, and
// keeps bundlers from inlining a native, Pi-only optional dependency.
const DRIVER_MODULE = 'node-sense-hat';
const importDriver = (): Promise<unknown> => import(DRIVER_MODULE);

/**
 * Opens the Sense HAT. Rejects with SensorUnavailableError when the driver cannot load:
 * node-sense-hat throws at import time without the HAT ("Cannot detect RPi-Sense FB device"),
 * and is not installed at all on machines where its native build was skipped.
 */
export async function openSenseHat(options: SenseHatOptions = {}): Promise<SensorReader> {
  let driver: unknown;
  try {
    driver = await (options.loadDriver ?? importDriver)();
  } catch (cause) {
    throw new SensorUnavailableError(
      `Sense HAT driver (${DRIVER_MODULE}) could not be loaded: ${describe(cause)}. ` +
        'Check the HAT is seated, I2C is enabled and dtoverlay=rpi-sense is set, ' +
        'or run with --mock to use simulated sensors.',
      { cause },
    );
  }
  const IMU = findImuConstructor(driver);
  if (!IMU) {
    throw new SensorUnavailableError(
      `${DRIVER_MODULE} loaded but exposes no Imu.IMU; unsupported driver version. Run with --mock to use simulated sensors.`,
    );
  }
  let imu: NodeImu;
  // Caveat: nodeimu's native constructor calls exit(1) when RTIMULib finds no IMU at all, which
  // no JavaScript can catch. The import above already fails when the HAT is absent, so this
  // only bites on a HAT whose framebuffer answers but whose IMU does not.
  try {
    imu = new IMU();
  } catch (cause) {
    throw new SensorUnavailableError(
      `Sense HAT IMU could not be initialised: ${describe(cause)}. Run with --mock to use simulated sensors.`,
      { cause },
    );
  }
  return new SenseHatSensors(imu, options.readTimeoutMs ?? 500, options.timers ?? systemTimers);
}

class SenseHatSensors implements SensorReader {
  readonly name = 'sense-hat';
  private closed = false;
  /** A read whose callback has not come back, possibly after we timed it out. */
  private outstanding = false;

  constructor(
    private readonly imu: NodeImu,
    private readonly readTimeoutMs: number,
    private readonly timers: Timers,
  ) {}

  async read(): Promise<SensorSample> {
    if (this.closed) throw new SensorReadError('Sense HAT adapter is closed');
    // nodeimu runs each read on the libuv thread pool; piling reads onto a stuck I2C bus would
    // starve the pool that file I/O shares, so wait for the stuck one to come back instead.
    if (this.outstanding) {
      throw new SensorReadError('previous Sense HAT read has not returned yet (I2C bus stuck?)');
    }
    return toSensorSample(await this.readRaw());
  }

  async close(): Promise<void> {
    // nodeimu has no close: the native object is released with the process.
    this.closed = true;
  }

  private readRaw(): Promise<NodeImuData> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: TimerHandle | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) this.timers.clearTimeout(timer);
        outcome();
      };
      this.outstanding = true;
      timer = this.timers.setTimeout(
        () =>
          settle(() =>
            reject(new SensorReadError(`Sense HAT read timed out after ${this.readTimeoutMs} ms`)),
          ),
        this.readTimeoutMs,
      );
      try {
        this.imu.getValue((error, data) => {
          this.outstanding = false;
          if (error) {
            settle(() =>
              reject(new SensorReadError(`Sense HAT read failed: ${describe(error)}`, { cause: error })),
            );
          } else if (!data) {
            settle(() => reject(new SensorReadError('Sense HAT read returned no data')));
          } else {
            settle(() => resolve(data));
          }
        });
      } catch (cause) {
        this.outstanding = false;
        settle(() => reject(new SensorReadError(`Sense HAT read failed: ${describe(cause)}`, { cause })));
      }
    });
  }
}

/**
 * Maps one nodeimu sample to the port's units. Throws SensorReadError when a required value is
 * missing or not a finite number: the HAT answers with holes when a sensor is not ready.
 */
export function toSensorSample(data: NodeImuData): SensorSample {
  const problems: string[] = [];
  const required = (value: unknown, name: string): number => {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    problems.push(`${name} is ${String(value)}`);
    return Number.NaN;
  };
  const temperature = required(data.temperature, 'temperature');
  const humidity = required(data.humidity, 'humidity');
  const pressure = required(data.pressure, 'pressure');
  const roll = required(data.fusionPose?.x, 'fusionPose.x');
  const pitch = required(data.fusionPose?.y, 'fusionPose.y');
  const yaw = required(data.fusionPose?.z, 'fusionPose.z');
  // The LPS25H reports 0 until its first conversion completes.
  if (problems.length === 0 && pressure <= 0) problems.push(`pressure is ${pressure} (sensor not ready)`);
  if (problems.length > 0) throw new SensorReadError(`Sense HAT sample incomplete: ${problems.join(', ')}`);

  const sample: SensorSample = {
    temperature,
    // The HTS221's calibration extrapolates slightly past 0–100 near dry/saturated air; the
    // physical quantity cannot, and the contract bounds it.
    humidity: Math.min(100, Math.max(0, humidity)),
    pressure,
    pitch: radiansToDegrees(pitch),
    roll: radiansToDegrees(roll),
    yaw: radiansToDegrees(yaw),
  };
  const accel = vector(data.accel);
  const gyro = vector(data.gyro);
  const compass = vector(data.compass);
  if (accel) sample.accel = accel;
  if (gyro) sample.gyro = gyro;
  if (compass) sample.compass = compass;
  return sample;
}

function vector(value: Partial<Vector3> | undefined): Vector3 | undefined {
  if (!value) return undefined;
  const { x, y, z } = value;
  const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  return finite(x) && finite(y) && finite(z) ? { x, y, z } : undefined;
}

function findImuConstructor(driver: unknown): NodeImuConstructor | undefined {
  // node-sense-hat is CommonJS: under `import()` its exports sit on `default`.
  const candidates = [(driver as { default?: unknown })?.default, driver];
  for (const candidate of candidates) {
    const IMU = (candidate as { Imu?: { IMU?: unknown } } | undefined)?.Imu?.IMU;
    if (typeof IMU === 'function') return IMU as NodeImuConstructor;
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
