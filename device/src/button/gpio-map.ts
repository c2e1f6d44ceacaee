import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioMappingError } from './button-port.js';

export const DEFAULT_GPIO_SYSFS_ROOT = '/sys/class/gpio';

/**
 * Labels of the gpiochip that carries the 40-pin header's BCM GPIOs, in order of preference.
 * A Pi 5 also has the BCM2712's own brcmstb chips (base 512 on Bookworm), but its header is on
 * the RP1 southbridge, so RP1 wins whenever it is present.
 */
export const HEADER_GPIOCHIP_LABELS = [
  'pinctrl-rp1', // Pi 5
  'pinctrl-bcm2711', // Pi 4, Pi 400, CM4
  'pinctrl-bcm2835', // Pi 1–3, Zero, Zero 2
] as const;

export interface GpioChip {
  /** Directory name, e.g. "gpiochip512". */
  readonly name: string;
  readonly label: string;
  readonly base: number;
  readonly ngpio: number;
}

export interface GpioMapping {
  readonly bcm: number;
  /** The number onoff (and /sys/class/gpio/export) expects. */
  readonly sysfs: number;
  readonly chip: GpioChip;
}

/**
 * Reads every `gpiochip*` under the sysfs GPIO class. Chips whose files cannot be read or parsed
 * are left out: a half-registered expander must not hide the SoC chip.
 */
export async function readGpioChips(root: string = DEFAULT_GPIO_SYSFS_ROOT): Promise<GpioChip[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (cause) {
    throw new GpioMappingError(
      `cannot list ${root} (${describe(cause)}): this kernel has no sysfs GPIO interface ` +
        '(not a Raspberry Pi, or CONFIG_GPIO_SYSFS is off). Run with --mock to use the keyboard instead.',
      { cause },
    );
  }
  const chips: GpioChip[] = [];
  for (const name of entries.filter((entry) => /^gpiochip\d+$/.test(entry)).sort(byNumber)) {
    const dir = join(root, name);
    try {
      const [label, base, ngpio] = await Promise.all([
        readText(join(dir, 'label')),
        readText(join(dir, 'base')),
        readText(join(dir, 'ngpio')),
      ]);
      const chip = { name, label, base: Number(base), ngpio: Number(ngpio) };
      if (Number.isInteger(chip.base) && chip.base >= 0 && Number.isInteger(chip.ngpio) && chip.ngpio > 0) {
        chips.push(chip);
      }
    } catch {
      // Unreadable chip directory: skipped (see above); the error message lists what was found.
    }
  }
  return chips;
}

/** Picks the chip that carries the header GPIOs; GpioMappingError listing the chips otherwise. */
export function selectHeaderChip(chips: readonly GpioChip[], root = DEFAULT_GPIO_SYSFS_ROOT): GpioChip {
  for (const label of HEADER_GPIOCHIP_LABELS) {
    const chip = chips.find((candidate) => candidate.label === label);
    if (chip) return chip;
  }
  const found =
    chips.length === 0 ? 'none' : chips.map((c) => `${c.name} "${c.label}" (base ${c.base})`).join(', ');
  throw new GpioMappingError(
    `no Raspberry Pi GPIO controller under ${root}: expected a gpiochip labelled ` +
      `${HEADER_GPIOCHIP_LABELS.join(', ')}; found ${found}. ` +
      'Is this a Raspberry Pi? Run with --mock to use the keyboard instead.',
  );
}

/** BCM pin → sysfs GPIO number on a known chip: base + bcm, checked against the chip's size. */
export function mapBcmOnChip(bcm: number, chip: GpioChip): GpioMapping {
  checkBcm(bcm);
  if (bcm >= chip.ngpio) {
    throw new GpioMappingError(
      `BCM pin ${bcm} is out of range: ${chip.name} "${chip.label}" has ${chip.ngpio} lines (0–${chip.ngpio - 1}); ` +
        'the 40-pin header carries BCM 0–27',
    );
  }
  return { bcm, sysfs: chip.base + bcm, chip };
}

/**
 * Maps a BCM pin number to the sysfs GPIO number. Bullseye kernels number the SoC chip from 0;
 * Bookworm kernels (6.6+) from 512 or above, different on a Pi 4 and a Pi 5, so the base is
 * read, never assumed. See DESIGN.md, onoff.
 */
export async function bcmToSysfsGpio(
  bcm: number,
  root: string = DEFAULT_GPIO_SYSFS_ROOT,
): Promise<GpioMapping> {
  checkBcm(bcm);
  const chips = await readGpioChips(root);
  return mapBcmOnChip(bcm, selectHeaderChip(chips, root));
}

function checkBcm(bcm: number): void {
  if (!Number.isInteger(bcm) || bcm < 0) {
    throw new GpioMappingError(`BCM pin must be a non-negative integer (got ${bcm})`);
  }
}

async function readText(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

function byNumber(a: string, b: string): number {
  return Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, ''));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
