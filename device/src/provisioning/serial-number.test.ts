import { describe, expect, it } from 'vitest';
import { readSerialNumber, SerialNumberError } from './serial-number.js';

function files(entries: Record<string, string>) {
  return async (path: string) => {
    const text = entries[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

const CPUINFO =
  'processor\t: 0\nHardware\t: BCM2835\nRevision\t: a02082\nSerial\t\t: 00000000a1b2c3d4\nModel\t\t: Raspberry Pi 3 Model B Rev 1.2\n';

describe('readSerialNumber', () => {
  it('reads the device tree serial without its NUL terminator', async () => {
    const read = files({ '/proc/device-tree/serial-number': '00000000a1b2c3d4\0' });
    expect(await readSerialNumber('auto', read)).toBe('00000000a1b2c3d4');
  });

  it('falls back to /proc/cpuinfo on older kernels', async () => {
    expect(await readSerialNumber('auto', files({ '/proc/cpuinfo': CPUINFO }))).toBe('00000000a1b2c3d4');
  });

  it('says where it looked when neither has a serial', async () => {
    const attempt = readSerialNumber('auto', files({ '/proc/cpuinfo': 'processor\t: 0\n' }));
    await expect(attempt).rejects.toThrow(SerialNumberError);
    await expect(attempt).rejects.toThrow(
      /device-tree\/serial-number: ENOENT; \/proc\/cpuinfo: no serial.*provisioning.serialNumber/,
    );
  });
});
