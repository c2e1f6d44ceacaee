import { readFile } from 'node:fs/promises';

export type SerialSource = 'auto' | 'device-tree' | 'cpuinfo';
export const SERIAL_SOURCES: readonly SerialSource[] = ['auto', 'device-tree', 'cpuinfo'];

/** What the hook's allow-list holds: letters, digits, '-' and '_', 1-64 of them. */
export const SERIAL_NUMBER_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const DEVICE_TREE = '/proc/device-tree/serial-number';
const CPUINFO = '/proc/cpuinfo';

export class SerialNumberError extends Error {
  override readonly name = 'SerialNumberError';
}

export type ReadText = (path: string) => Promise<string>;

/**
 * This Pi's serial number: the device tree's `serial-number` (NUL-terminated, every Pi since the
 * 3 with a current kernel), or the `Serial` line of /proc/cpuinfo (older kernels).
 */
export async function readSerialNumber(
  source: SerialSource,
  readText: ReadText = (path) => readFile(path, 'utf8'),
): Promise<string> {
  const tried: string[] = [];
  if (source === 'auto' || source === 'device-tree') {
    const serial = await attempt(tried, DEVICE_TREE, readText, (text) => text.replace(/\0+$/, '').trim());
    if (serial) return serial;
  }
  if (source === 'auto' || source === 'cpuinfo') {
    const serial = await attempt(
      tried,
      CPUINFO,
      readText,
      (text) => /^Serial\s*:\s*(\S+)\s*$/m.exec(text)?.[1] ?? '',
    );
    if (serial) return serial;
  }
  throw new SerialNumberError(
    `no serial number found (${tried.join('; ')}); set provisioning.serialNumber in the configuration`,
  );
}

async function attempt(
  tried: string[],
  path: string,
  readText: ReadText,
  extract: (text: string) => string,
): Promise<string | null> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    tried.push(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return null;
  }
  const serial = extract(text);
  if (!SERIAL_NUMBER_PATTERN.test(serial)) {
    tried.push(`${path}: no serial of the form ${SERIAL_NUMBER_PATTERN}`);
    return null;
  }
  return serial;
}
