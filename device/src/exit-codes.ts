import { ProvisioningRefusedError } from './provisioning/claim-provisioning.js';
import { SerialNumberError } from './provisioning/serial-number.js';
import { SensorUnavailableError } from './sensors/sensor-port.js';

/**
 * Every exit code of `coffee-iot-agent`, in one place: the usage text, the README and the
 * systemd unit's RestartPreventExitStatus= are written from this table.
 */
export const EXIT_OK = 0;
/** The agent failed at run time (or status/doctor found a problem): a restart may help. */
export const EXIT_FAILURE = 1;
/** Bad usage or configuration: restarting cannot fix it. */
export const EXIT_USAGE = 2;
/** A hardware driver module is missing from the install or cannot load on this machine. */
export const EXIT_DRIVER_MISSING = 3;
/** The driver loaded but the hardware is absent or not answering. */
export const EXIT_HARDWARE_ABSENT = 4;
/**
 * Provisioning by claim was refused (the serial is not on the fleet's allow-list, or is used).
 * systemd still restarts the agent (RestartSec), so a serial allowed later provisions on its own.
 */
export const EXIT_PROVISIONING_REFUSED = 5;

/**
 * A job (`restart`, `update-agent`) asked for a restart: the agent stopped in order and systemd
 * (Restart=always, this code not in RestartPreventExitStatus) starts it again; the job then
 * finishes. EX_TEMPFAIL from sysexits.h.
 */
export const EXIT_RESTART_REQUESTED = 75;

export interface ExitCodeMeaning {
  code: number;
  meaning: string;
}

export const EXIT_CODES: readonly ExitCodeMeaning[] = [
  { code: EXIT_OK, meaning: 'success (doctor: no check failed)' },
  {
    code: EXIT_FAILURE,
    meaning: 'the agent failed at run time; status: not running or not connected; doctor: a check failed',
  },
  { code: EXIT_USAGE, meaning: 'bad usage or configuration (every problem printed, naming its key)' },
  {
    code: EXIT_DRIVER_MISSING,
    meaning: 'a hardware driver module is missing from the install or cannot load here: reinstall',
  },
  {
    code: EXIT_HARDWARE_ABSENT,
    meaning: 'the driver loaded but the Sense HAT is absent or not answering: seat it, enable I2C',
  },
  {
    code: EXIT_PROVISIONING_REFUSED,
    meaning:
      "provisioning by claim was refused (serial not on the fleet's allow-list): allow it; systemd retries",
  },
  {
    code: EXIT_RESTART_REQUESTED,
    meaning: 'a restart or update-agent job asked for a restart: systemd starts the agent again',
  },
];

/** The exit code for an error that stopped the agent. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ProvisioningRefusedError) return EXIT_PROVISIONING_REFUSED;
  // No serial number to provision with: only the configuration can fix that.
  if (error instanceof SerialNumberError) return EXIT_USAGE;
  if (error instanceof SensorUnavailableError) {
    return error.reason === 'module-missing' ? EXIT_DRIVER_MISSING : EXIT_HARDWARE_ABSENT;
  }
  return EXIT_FAILURE;
}
