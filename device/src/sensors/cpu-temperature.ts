import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the SoC temperature comes from; the sampler only needs this shape. */
export interface CpuTemperatureSource {
  /** °C, or null when this machine exposes no thermal zone. */
  read(): Promise<number | null>;
}

export class CpuTemperatureReadError extends Error {
  override readonly name = 'CpuTemperatureReadError';
}

export interface SysfsCpuTemperatureOptions {
  /** Default /sys/class/thermal; tests point it at a fake tree. */
  root?: string;
}

// Zone types that mean "the SoC" on a Pi (cpu-thermal) and on common laptops.
const CPU_ZONE_TYPES = ['cpu-thermal', 'cpu_thermal', 'soc_thermal', 'x86_pkg_temp'];

/**
 * Reads the SoC temperature from Linux's thermal sysfs (`thermal_zoneN/temp`, millidegrees).
 * Prefers a zone whose `type` names the CPU, else the lowest-numbered zone, which is the SoC on
 * every Raspberry Pi. The chosen zone is remembered after the first successful discovery.
 */
export class SysfsCpuTemperature implements CpuTemperatureSource {
  private readonly root: string;
  private zonePath: string | null | undefined;

  constructor(options: SysfsCpuTemperatureOptions = {}) {
    this.root = options.root ?? '/sys/class/thermal';
  }

  async read(): Promise<number | null> {
    if (this.zonePath === undefined) this.zonePath = await this.findZone();
    if (this.zonePath === null) return null;
    const file = join(this.zonePath, 'temp');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new CpuTemperatureReadError(`cannot read ${file}: ${(cause as Error).message}`, { cause });
    }
    const millidegrees = Number.parseInt(text.trim(), 10);
    if (!Number.isFinite(millidegrees)) {
      throw new CpuTemperatureReadError(`${file} holds ${JSON.stringify(text.trim())}, not millidegrees`);
    }
    return millidegrees / 1000;
  }

  private async findZone(): Promise<string | null> {
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch (cause) {
      if (isNotFound(cause)) return null;
      throw new CpuTemperatureReadError(`cannot list ${this.root}: ${(cause as Error).message}`, { cause });
    }
    const zones = entries
      .filter((name) => /^thermal_zone\d+$/.test(name))
      .sort((a, b) => zoneNumber(a) - zoneNumber(b));
    for (const zone of zones) {
      // A zone without a readable `type` just cannot be recognised by name; it stays a fallback.
      const type = await readFile(join(this.root, zone, 'type'), 'utf8').catch(() => '');
      if (CPU_ZONE_TYPES.includes(type.trim())) return join(this.root, zone);
    }
    const first = zones[0];
    return first === undefined ? null : join(this.root, first);
  }
}

function zoneNumber(name: string): number {
  return Number.parseInt(name.slice('thermal_zone'.length), 10);
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}
