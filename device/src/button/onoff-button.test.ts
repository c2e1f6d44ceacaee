import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { captureLogs } from '../testing/capture-logs.js';
import { ButtonUnavailableError, GpioMappingError } from './button-port.js';
import { OnoffButton, type OnoffButtonOptions } from './onoff-button.js';
import { fakeGpioSysfs, simulatedOnoff } from './simulated-drivers.js';

const T0 = 1_700_000_000_000;

describe('OnoffButton', () => {
  let tmp: string;
  let button: OnoffButton | undefined;
  let presses: number[];

  const make = async (
    onoff: ReturnType<typeof simulatedOnoff>,
    options: Partial<OnoffButtonOptions> = {},
    chip: { base: number; label?: string } = { base: 512 },
  ) => {
    button = new OnoffButton({
      pin: 17,
      logger: silentLogger(),
      gpioSysfsRoot: await fakeGpioSysfs(tmp, chip.base, chip.label),
      loadDriver: async () => onoff.module,
      ...options,
    });
    button.onPress((press) => presses.push(press.atMs));
    return button;
  };

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    tmp = await mkdtemp(join(tmpdir(), 'coffee-iot-onoff-'));
    presses = [];
  });
  afterEach(async () => {
    await button?.stop();
    button = undefined;
    vi.useRealTimers();
    await rm(tmp, { recursive: true, force: true });
  });

  it('opens the mapped sysfs GPIO as an input on both edges, polarity left to the debouncer', async () => {
    const onoff = simulatedOnoff();
    await (await make(onoff)).start();
    const gpio = onoff.latest();
    expect(gpio?.gpio).toBe(529); // BCM 17 on Bookworm's base-512 chip
    expect(gpio?.direction).toBe('in');
    expect(gpio?.edge).toBe('both');
    expect(gpio?.options).toEqual({ activeLow: false });
    expect(button?.stats().sysfsGpio).toBe(529);
  });

  it('opens the RP1 line on a Pi 5', async () => {
    const onoff = simulatedOnoff();
    await (await make(onoff, {}, { base: 571, label: 'pinctrl-rp1' })).start();
    expect(onoff.latest()?.gpio).toBe(588);
  });

  it('passes a driver debounce through only when configured', async () => {
    const onoff = simulatedOnoff();
    await (await make(onoff, { driverDebounceMs: 10 })).start();
    expect(onoff.latest()?.options).toEqual({ activeLow: false, debounceTimeout: 10 });
  });

  it('debounces a bouncing active-low push into one press at the first edge', async () => {
    const onoff = simulatedOnoff();
    await (await make(onoff)).start();
    const gpio = onoff.latest();
    for (const level of [0, 1, 0, 1, 0] as const) {
      gpio?.drive(level);
      await vi.advanceTimersByTimeAsync(4);
    }
    await vi.advanceTimersByTimeAsync(60);
    expect(presses).toEqual([T0]);
    expect(button?.stats()).toMatchObject({ edges: 5, presses: 1 });
  });

  it('counts 1 as pressed when configured active-high', async () => {
    const onoff = simulatedOnoff({ initialLevel: 0 });
    await (await make(onoff, { activeLow: false })).start();
    const gpio = onoff.latest();
    gpio?.drive(1);
    await vi.advanceTimersByTimeAsync(60);
    gpio?.drive(0);
    await vi.advanceTimersByTimeAsync(60);
    expect(presses).toEqual([T0]);
  });

  it('warns, naming the config.txt fix, and counts nothing when the pin reads pressed at start', async () => {
    const { logger, lines } = captureLogs();
    const onoff = simulatedOnoff({ initialLevel: 0 });
    await (await make(onoff, { logger })).start();
    onoff.latest()?.drive(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([]);
    const warning = lines.find((line) => line.level === 40);
    expect(warning?.msg).toContain('gpio=17=ip,pu');
  });

  it('counts interrupt read errors, logs the first of a streak, and keeps working', async () => {
    const { logger, lines } = captureLogs();
    const onoff = simulatedOnoff();
    await (await make(onoff, { logger })).start();
    const gpio = onoff.latest();
    gpio?.fail(new Error('EIO'));
    gpio?.fail(new Error('EIO'));
    gpio?.drive(0);
    await vi.advanceTimersByTimeAsync(60);
    expect(button?.stats()).toMatchObject({ readErrors: 2, presses: 1 });
    expect(lines.filter((line) => line.msg === 'button GPIO read failed')).toHaveLength(1);
  });

  it('unwatches and unexports the pin on stop', async () => {
    const onoff = simulatedOnoff();
    await (await make(onoff)).start();
    const gpio = onoff.latest();
    await button?.stop();
    expect(gpio?.watchers).toBe(0);
    expect(gpio?.exported).toBe(false);
  });

  it('cancels a press still in its debounce window on stop', async () => {
    const onoff = simulatedOnoff();
    await (await make(onoff)).start();
    onoff.latest()?.drive(0);
    await button?.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(presses).toEqual([]);
  });

  it('says onoff could not load, with the cause, and suggests --mock', async () => {
    const cause = new Error("Cannot find module 'epoll'");
    const onoff = simulatedOnoff();
    const b = await make(onoff, {
      loadDriver: async () => {
        throw cause;
      },
    });
    const error = await b.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ButtonUnavailableError);
    expect((error as Error).message).toMatch(/onoff could not be loaded: Cannot find module 'epoll'/);
    expect((error as Error).message).toMatch(/--mock/);
    expect((error as Error).cause).toBe(cause);
  });

  it('says onoff is missing from the install, and how to reinstall, when its native build was skipped', async () => {
    const cause = new Error(
      'Could not locate the bindings file. Tried:\n → /opt/coffee-iot/agent/node_modules/epoll/build/epoll.node',
    );
    const b = await make(simulatedOnoff(), {
      loadDriver: async () => {
        throw cause;
      },
    });
    const error = await b.start().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/onoff.*missing or cannot load.*release tarball.*doctor/);
  });

  it('says the GPIO hardware is not there when onoff loads but fails on the device', async () => {
    const cause = Object.assign(
      new Error("ENOENT: no such file or directory, open '/sys/class/gpio/export'"),
      {
        code: 'ENOENT',
      },
    );
    const b = await make(simulatedOnoff(), {
      loadDriver: async () => {
        throw cause;
      },
    });
    const error = await b.start().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/onoff.*loaded but the GPIO.*ENOENT/);
    expect((error as Error).message).not.toMatch(/release tarball/);
  });

  it('fails with ButtonUnavailableError, caused by GpioMappingError, when the pin does not map', async () => {
    const onoff = simulatedOnoff();
    const b = await make(onoff, { pin: 60 });
    const error = await b.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ButtonUnavailableError);
    expect((error as Error).cause).toBeInstanceOf(GpioMappingError);
    expect((error as Error).message).toContain('BCM pin 60 is out of range');
    expect(onoff.instances).toHaveLength(0);
  });

  it('points at the gpio group when sysfs GPIO is not writable', async () => {
    const b = await make(simulatedOnoff({ accessible: false }));
    await expect(b.start()).rejects.toThrow(/gpio group/);
  });

  it('wraps a failing Gpio constructor (EACCES, pin busy)', async () => {
    const cause = Object.assign(new Error("EACCES: permission denied, open '/sys/class/gpio/export'"), {
      code: 'EACCES',
    });
    const b = await make(simulatedOnoff({ constructError: cause }));
    const error = await b.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ButtonUnavailableError);
    expect((error as Error).message).toMatch(/sysfs GPIO 529 on pinctrl-bcm2711.*EACCES/);
    expect((error as Error).cause).toBe(cause);
  });

  it('finds Gpio on the default export of the CommonJS module', async () => {
    const onoff = simulatedOnoff();
    const b = await make(onoff, { loadDriver: async () => ({ default: onoff.module }) });
    await b.start();
    expect(onoff.instances).toHaveLength(1);
  });

  it('rejects a pin that is not a BCM number at construction', () => {
    expect(() => new OnoffButton({ pin: -3, logger: silentLogger() })).toThrow(RangeError);
  });
});
