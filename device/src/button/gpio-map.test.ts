import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GpioMappingError } from './button-port.js';
import { bcmToSysfsGpio, readGpioChips, selectHeaderChip } from './gpio-map.js';

interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
}

/** A /sys/class/gpio as the kernel lays it out: export, unexport, one gpiochipN dir per chip. */
async function fakeSysfs(root: string, chips: FakeChip[]): Promise<string> {
  const dir = join(root, 'sys-class-gpio');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'export'), '');
  await writeFile(join(dir, 'unexport'), '');
  for (const chip of chips) {
    const chipDir = join(dir, `gpiochip${chip.base}`);
    await mkdir(chipDir);
    await writeFile(join(chipDir, 'base'), `${chip.base}\n`);
    await writeFile(join(chipDir, 'ngpio'), `${chip.ngpio}\n`);
    await writeFile(join(chipDir, 'label'), `${chip.label}\n`);
  }
  return dir;
}

// Layouts as reported by /sys/kernel/debug/gpio on real boards.
const BULLSEYE_PI4: FakeChip[] = [
  { base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];
const BOOKWORM_PI4: FakeChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];
const BOOKWORM_PI5: FakeChip[] = [
  { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
  { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
  { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
  { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
  { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
];
const BULLSEYE_PI3: FakeChip[] = [
  { base: 0, ngpio: 54, label: 'pinctrl-bcm2835' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

describe('bcmToSysfsGpio', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'coffee-iot-gpio-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('uses the BCM number itself on Bullseye, where the Pi 4 SoC chip starts at 0', async () => {
    const root = await fakeSysfs(tmp, BULLSEYE_PI4);
    const mapping = await bcmToSysfsGpio(17, root);
    expect(mapping.sysfs).toBe(17);
    expect(mapping.chip).toMatchObject({ name: 'gpiochip0', label: 'pinctrl-bcm2711' });
  });

  it('adds the base of 512 on Bookworm on a Pi 4', async () => {
    const root = await fakeSysfs(tmp, BOOKWORM_PI4);
    expect((await bcmToSysfsGpio(17, root)).sysfs).toBe(529);
    expect((await bcmToSysfsGpio(0, root)).sysfs).toBe(512);
  });

  it('picks the RP1 chip on a Pi 5, not the BCM2712 chips that come first', async () => {
    const root = await fakeSysfs(tmp, BOOKWORM_PI5);
    const mapping = await bcmToSysfsGpio(17, root);
    expect(mapping.sysfs).toBe(588);
    expect(mapping.chip.label).toBe('pinctrl-rp1');
  });

  it('maps on a Pi 1–3 (pinctrl-bcm2835)', async () => {
    const root = await fakeSysfs(tmp, BULLSEYE_PI3);
    expect((await bcmToSysfsGpio(4, root)).sysfs).toBe(4);
  });

  it('refuses a pin beyond the chip, naming the chip and its size', async () => {
    const root = await fakeSysfs(tmp, BOOKWORM_PI4);
    const error = await bcmToSysfsGpio(58, root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpioMappingError);
    expect((error as Error).message).toMatch(/BCM pin 58 is out of range.*pinctrl-bcm2711.*58 lines/);
    await expect(bcmToSysfsGpio(57, root)).resolves.toMatchObject({ sysfs: 569 });
  });

  it('refuses a negative or fractional pin before reading sysfs', async () => {
    await expect(bcmToSysfsGpio(-1, join(tmp, 'missing'))).rejects.toThrow(/non-negative integer/);
    await expect(bcmToSysfsGpio(1.5, join(tmp, 'missing'))).rejects.toThrow(/non-negative integer/);
  });

  it('lists the chips it found when none is a Raspberry Pi GPIO controller', async () => {
    const root = await fakeSysfs(tmp, [
      { base: 0, ngpio: 8, label: 'gpio-mockup-A' },
      { base: 8, ngpio: 16, label: 'INT34C5:00' },
    ]);
    const error = await bcmToSysfsGpio(17, root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpioMappingError);
    const message = (error as Error).message;
    expect(message).toContain('pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835');
    expect(message).toContain('gpiochip0 "gpio-mockup-A" (base 0)');
    expect(message).toContain('gpiochip8 "INT34C5:00" (base 8)');
    expect(message).toContain('--mock');
  });

  it('says "found none" for an empty GPIO class directory', async () => {
    const root = await fakeSysfs(tmp, []);
    await expect(bcmToSysfsGpio(17, root)).rejects.toThrow(/found none/);
  });

  it('explains a missing /sys/class/gpio (laptop, or kernel without sysfs GPIO)', async () => {
    const error = await bcmToSysfsGpio(17, join(tmp, 'no-such-dir')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpioMappingError);
    expect((error as Error).message).toMatch(/no sysfs GPIO interface.*--mock/);
  });

  it('skips a chip whose files are unreadable instead of failing the lookup', async () => {
    const root = await fakeSysfs(tmp, BOOKWORM_PI4);
    await mkdir(join(root, 'gpiochip600')); // half-registered: no label/base/ngpio
    const chips = await readGpioChips(root);
    expect(chips.map((chip) => chip.name)).toEqual(['gpiochip512', 'gpiochip570']);
    expect(selectHeaderChip(chips).base).toBe(512);
  });
});
