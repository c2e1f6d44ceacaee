/**
 * Ambient temperature from the Sense HAT's sensor temperature and the CPU temperature.
 *
 * The HAT sits a few millimetres above the SoC, so its sensors read warm. The widely used
 * correction treats the sensor as sitting between the room and the CPU:
 *
 *     T_ambient = T_sensor − (T_cpu − T_sensor) / factor
 *
 * factor = 1.5 is the value popularised for a Pi 3 with the HAT mounted directly
 * (yaab-arduino.blogspot.com, 2016, "Accurate temperature reading from Raspberry PI Sense
 * HAT"); Initial State's Sense HAT guide fitted 5.466 for its own case and airflow. The
 * factor is an empirical fit for one board, case, airflow and CPU load: calibrate it against a
 * reference thermometer. Limits: accuracy is a degree or two at best, it lags when the CPU load
 * changes quickly, and it means nothing when the HAT is not over the CPU (on a ribbon cable:
 * turn compensation off).
 */
export interface AmbientCompensationOptions {
  enabled: boolean;
  /** Divisor of the CPU–sensor difference; larger = weaker correction. Must be > 0. */
  factor: number;
}

export const DEFAULT_AMBIENT_COMPENSATION: AmbientCompensationOptions = { enabled: true, factor: 1.5 };

export class CompensationConfigError extends Error {
  override readonly name = 'CompensationConfigError';
}

/** Throws CompensationConfigError unless `factor` is a positive finite number. */
export function checkCompensationOptions(options: AmbientCompensationOptions): void {
  if (!(Number.isFinite(options.factor) && options.factor > 0)) {
    throw new CompensationConfigError(
      `ambient compensation factor must be a number > 0 (got ${options.factor})`,
    );
  }
}

/**
 * The compensated ambient temperature in °C, or null when it cannot honestly be given: turned
 * off, CPU temperature unknown, or a CPU cooler than the sensor (then the CPU is not what warms
 * the sensor — sun, a heater — and the formula would push the estimate the wrong way).
 */
export function ambientTemperature(
  sensorC: number,
  cpuC: number | null,
  options: AmbientCompensationOptions,
): number | null {
  if (!options.enabled || cpuC === null) return null;
  if (cpuC < sensorC) return null;
  return sensorC - (cpuC - sensorC) / options.factor;
}
