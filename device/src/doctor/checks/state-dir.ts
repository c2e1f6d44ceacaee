import { type CheckResult, describeError, errorCode, fail, ok, warn } from '../check-result.js';
import type { DoctorFs } from '../doctor-ports.js';

/** Below this the spool cannot take a day of readings: fail outright. */
export const MIN_FREE_BYTES = 64 * 1024 * 1024;

export interface StateDirOptions {
  stateDir: string;
  /** spool.maxBytes + outbox.maxBytes: what the agent may fill at most. */
  capBytes: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** The spool and outbox live in stateDir: it must be writable, with room for their caps. */
export async function checkStateDir(fs: DoctorFs, options: StateDirOptions): Promise<CheckResult> {
  const { stateDir, capBytes } = options;
  try {
    await fs.probeWritable(stateDir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') {
      return warn(
        'state directory',
        `${stateDir} does not exist yet`,
        `the agent creates it at start (systemd: StateDirectory=); or sudo install -d -o coffee-iot ${stateDir}`,
      );
    }
    return fail(
      'state directory',
      `${stateDir} is not writable: ${code ?? describeError(error)}`,
      code === 'EROFS'
        ? 'the file system is read-only: check the SD card (dmesg) and remount it read-write'
        : `sudo chown -R coffee-iot:coffee-iot ${stateDir}, and run doctor as the agent's user`,
    );
  }
  let free: number;
  try {
    free = await fs.availableBytes(stateDir);
  } catch (error) {
    return warn('state directory', `writable; free space unknown: ${describeError(error)}`, '');
  }
  const clean = 'free space: sudo apt clean, sudo journalctl --vacuum-size=50M, or a larger SD card';
  if (free < MIN_FREE_BYTES) {
    return fail('state directory', `${stateDir} writable, but only ${mib(free)} free`, clean);
  }
  if (free < capBytes) {
    return warn(
      'state directory',
      `${stateDir} writable, ${mib(free)} free: less than the spool and outbox caps (${mib(capBytes)})`,
      `${clean}; or lower spool.maxBytes and outbox.maxBytes`,
    );
  }
  return ok('state directory', `${stateDir} writable, ${mib(free)} free`);
}
