import { classifyDriverFailure } from '../driver-failure.js';
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

/** What to do when the driver module is missing from the install or cannot load here. */
const REINSTALL_HINT =
  'This is an install problem, not the hardware: npm left the native module out or it was built for ' +
  'another machine. Reinstall from the release tarball for this architecture ' +
  '(install-pi.sh --from coffee-iot-agent-VERSION-linux-ARCH.tar.gz), and run ' +
  '"coffee-iot-agent doctor" to see which native module fails; or run with --mock to use simulated sensors.';

/** What to do when the driver loaded and the HAT did not answer. */
const HARDWARE_HINT =
  'Power off and seat the HAT on all 40 pins, enable I2C (sudo raspi-config nonint do_i2c 0, or ' +
  'raspi-config > Interface Options > I2C), check that /dev/i2c-1 exists and that ' +
  'dtoverlay=rpi-sense is in /boot/firmware/config.txt, then reboot; "coffee-iot-agent doctor" probes ' +
  "the HAT's I2C addresses. Or run with --mock to use simulated sensors.";

function unavailable(cause: unknown, what: string): SensorUnavailableError {
  const reason = classifyDriverFailure(cause);
  const message =
    reason === 'module-missing'
      ? `Sense HAT driver module ${DRIVER_MODULE} is missing or cannot load (${describe(cause)}). ${REINSTALL_HINT}`
      : `Sense HAT is not answering: ${what} (${describe(cause)}). ${HARDWARE_HINT}`;
  return new SensorUnavailableError(message, reason, { cause });
}

/**
 * Opens the Sense HAT. Rejects with SensorUnavailableError when the driver cannot load, saying
 * which of two things it is: the module is missing from the install or cannot load here (npm
 * skipped its native build, or it was built for another architecture or Node), or the module
 * loaded and the hardware did not answer (node-sense-hat throws "Cannot detect RPi-Sense FB
 * device" at import time without the HAT).
 */
export async function openSenseHat(options: SenseHatOptions = {}): Promise<SensorReader> {
  let driver: unknown;
  try {
    driver = await (options.loadDriver ?? importDriver)();
  } catch (cause) {
    throw unavailable(cause, `${DRIVER_MODULE} found no HAT`);
  }
  const IMU = findImuConstructor(driver);
  if (!IMU) {
    throw new SensorUnavailableError(
      `Sense HAT driver module ${DRIVER_MODULE} loaded but exposes no Imu.IMU: unsupported driver version. ${REINSTALL_HINT}`,
      'module-missing',
    );
  }
  let imu: NodeImu;
  // Caveat: nodeimu's native constructor calls exit(1) when RTIMULib finds no IMU at all, which
  // no JavaScript can catch. The import above already fails when the HAT is absent, so this
  // only bites on a HAT whose framebuffer answers but whose IMU does not.
  try {
    imu = new IMU();
  } catch (cause) {
    throw unavailable(cause, 'its IMU could not be initialised');
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
