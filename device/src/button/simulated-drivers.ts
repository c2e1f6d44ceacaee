import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Level } from './debounce.js';
import type { EventDevice } from './joystick-button.js';
import type { OnoffGpio, OnoffGpioOptions, OnoffModule } from './onoff-button.js';

/*
 * Drivers simulated at the kernel's interface, for the button adapters' tests: onoff's Gpio over
 * an electrical level, an evdev device with a queue of events, and sysfs trees on disk.
 */

type WatchCallback = (error: Error | null | undefined, value: Level) => void;

/** onoff's Gpio over a simulated contact; reads honour the sysfs active_low inversion like the kernel. */
export class SimulatedGpio implements OnoffGpio {
  exported = true;
  private callbacks: WatchCallback[] = [];

  constructor(
    readonly gpio: number,
    readonly direction: string,
    readonly edge: string,
    readonly options: OnoffGpioOptions,
    /** Electrical level: 1 idle with the pull-up, 0 while a button to ground is held. */
    public level: Level = 1,
  ) {}

  readSync(): Level {
    return this.options.activeLow ? ((1 - this.level) as Level) : this.level;
  }

  watch(callback: WatchCallback): void {
    this.callbacks.push(callback);
  }

  unwatchAll(): void {
    this.callbacks = [];
  }

  unexport(): void {
    this.exported = false;
  }

  get watchers(): number {
    return this.callbacks.length;
  }

  /** The contact changes; the interrupt handler reads the value, like onoff's epoll poller. */
  drive(level: Level): void {
    this.level = level;
    for (const callback of [...this.callbacks]) callback(null, this.readSync());
  }

  /** An interrupt whose read failed. */
  fail(error: Error): void {
    for (const callback of [...this.callbacks]) callback(error, this.readSync());
  }
}

export interface SimulatedOnoffOptions {
  /** Gpio.accessible; default true. */
  accessible?: boolean;
  /** The Gpio constructor throws this (EACCES, EBUSY…). */
  constructError?: Error;
  /** Electrical level of the pin when opened; default 1 (idle, pulled up). */
  initialLevel?: Level;
}

/** An onoff module whose Gpio instances are kept for the test to drive. */
export function simulatedOnoff(options: SimulatedOnoffOptions = {}) {
  const instances: SimulatedGpio[] = [];
  const Gpio = function Gpio(gpio: number, direction: 'in', edge: 'both', gpioOptions: OnoffGpioOptions) {
    if (options.constructError) throw options.constructError;
    const instance = new SimulatedGpio(gpio, direction, edge, gpioOptions, options.initialLevel ?? 1);
    instances.push(instance);
    return instance;
  } as unknown as OnoffModule['Gpio'];
  Object.assign(Gpio, { accessible: options.accessible ?? true });
  const module: OnoffModule = { Gpio };
  return {
    module,
    instances,
    /** The Gpio opened last (a restart opens a new one). */
    latest: (): SimulatedGpio | undefined => instances.at(-1),
  };
}

export class QueueEventDevice implements EventDevice {
  private readonly queue: Buffer[] = [];
  closed = false;

  async read(buffer: Buffer): Promise<number> {
    if (this.closed) throw Object.assign(new Error('EBADF: bad file descriptor, read'), { code: 'EBADF' });
    const chunk = this.queue.shift();
    if (!chunk) return 0;
    chunk.copy(buffer);
    return Math.min(chunk.length, buffer.length);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  push(chunk: Buffer): void {
    this.queue.push(chunk);
  }
}

/** Encodes `struct input_event`s: timeval (16 bytes on 64-bit, 8 on 32-bit), type, code, value. */
export function inputEvents(events: [type: number, code: number, value: number][], eventSize: 16 | 24 = 24) {
  const buffer = Buffer.alloc(events.length * eventSize);
  events.forEach(([type, code, value], index) => {
    const offset = index * eventSize + eventSize - 8;
    buffer.writeUInt16LE(type, offset);
    buffer.writeUInt16LE(code, offset + 2);
    buffer.writeInt32LE(value, offset + 4);
  });
  return buffer;
}

/** A /sys/class/gpio with one gpiochip; returns its path. */
export async function fakeGpioSysfs(dir: string, base: number, label = 'pinctrl-bcm2711', ngpio = 58) {
  const chip = join(dir, 'gpio', `gpiochip${base}`);
  await mkdir(chip, { recursive: true });
  await writeFile(join(chip, 'base'), `${base}\n`);
  await writeFile(join(chip, 'ngpio'), `${ngpio}\n`);
  await writeFile(join(chip, 'label'), `${label}\n`);
  return join(dir, 'gpio');
}

/** A /sys/class/input with eventN/device/name files; returns its path. */
export async function fakeInputSysfs(dir: string, devices: Record<string, string>) {
  for (const [event, name] of Object.entries(devices)) {
    await mkdir(join(dir, 'input', event, 'device'), { recursive: true });
    await writeFile(join(dir, 'input', event, 'device', 'name'), `${name}\n`);
  }
  return join(dir, 'input');
}
