/**
 * Why a hardware driver could not be opened: the module is missing from the install (or cannot
 * load on this machine), or it loaded and the hardware did not answer. The two need different
 * fixes — reinstall vs seat the HAT / enable I2C — and different exit codes (exit-codes.ts), so
 * systemd can stop restarting an agent whose install is broken.
 */
export type DriverFailureKind = 'module-missing' | 'hardware-absent';

/** Node's codes for a module that cannot be resolved or whose native part cannot be dlopen()ed. */
const MODULE_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND', 'ERR_DLOPEN_FAILED']);

/**
 * The same failures by their words, for errors that lost the code on the way (rethrown by a
 * driver, or produced by the `bindings` package, which throws a plain Error).
 */
const MODULE_MESSAGES = [
  /Cannot find (module|package)/,
  // `bindings` (epoll, ioctl): npm skipped the native build, usually for want of a compiler.
  /Could not locate the bindings file/,
  // dlopen(): not a shared object, or one built for another architecture.
  /invalid ELF header/,
  /wrong ELF class/,
  /ELF file version does not match/,
  /cannot open shared object file/,
  /undefined symbol/,
  // Built against another Node ABI.
  /NODE_MODULE_VERSION/,
  /Module did not self-register/,
];

/** How many `cause` links are followed: wrappers nest a few deep at most. */
const MAX_CAUSE_DEPTH = 8;

function isModuleLoadFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && MODULE_CODES.has(code)) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && MODULE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Classifies an error thrown while loading or opening a driver. Anything that is not a module
 * resolution or load failure means the driver is there and the device did not answer (ENOENT on
 * /dev/i2c-1, EACCES, EREMOTEIO, "Cannot detect RPi-Sense FB device", a timeout).
 */
export function classifyDriverFailure(error: unknown): DriverFailureKind {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth += 1) {
    if (isModuleLoadFailure(current)) return 'module-missing';
    current = (current as { cause?: unknown }).cause;
  }
  return 'hardware-absent';
}
