import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CpuTemperatureReadError, SysfsCpuTemperature } from './cpu-temperature.js';

describe('SysfsCpuTemperature', () => {
  let root: string;

  const zone = (name: string, type: string, temp: string) => {
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(join(root, name, 'type'), `${type}\n`);
    writeFileSync(join(root, name, 'temp'), temp);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'coffee-iot-thermal-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a Pi cpu-thermal zone in millidegrees as °C', async () => {
    zone('thermal_zone0', 'cpu-thermal', '48312\n');
    await expect(new SysfsCpuTemperature({ root }).read()).resolves.toBe(48.312);
  });

  it('prefers the zone whose type names the CPU over a lower-numbered one', async () => {
    zone('thermal_zone0', 'acpitz', '27800\n');
    zone('thermal_zone10', 'x86_pkg_temp', '61000\n');
    zone('thermal_zone2', 'iwlwifi_1', '40000\n');
    await expect(new SysfsCpuTemperature({ root }).read()).resolves.toBe(61);
  });

  it('falls back to the lowest-numbered zone when no type names the CPU', async () => {
    zone('thermal_zone3', 'gpu-thermal', '40000\n');
    zone('thermal_zone1', 'soc-ish', '45000\n');
    await expect(new SysfsCpuTemperature({ root }).read()).resolves.toBe(45);
  });

  it('returns null when the machine has no thermal zones', async () => {
    await expect(new SysfsCpuTemperature({ root }).read()).resolves.toBeNull();
    await expect(new SysfsCpuTemperature({ root: join(root, 'missing') }).read()).resolves.toBeNull();
  });

  it('reports a zone file that does not hold a number', async () => {
    zone('thermal_zone0', 'cpu-thermal', 'N/A\n');
    await expect(new SysfsCpuTemperature({ root }).read()).rejects.toThrow(CpuTemperatureReadError);
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable temp file', async () => {
    zone('thermal_zone0', 'cpu-thermal', '48000\n');
    chmodSync(join(root, 'thermal_zone0', 'temp'), 0o000);
    await expect(new SysfsCpuTemperature({ root }).read()).rejects.toThrow(/cannot read .*temp/);
  });
});
