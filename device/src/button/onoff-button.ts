import { classifyDriverFailure } from '../driver-failure.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { type Button, ButtonUnavailableError, type PressListener } from './button-port.js';
import { DEFAULT_DEBOUNCE_MS, Debouncer, type Level } from './debounce.js';
import { bcmToSysfsGpio, DEFAULT_GPIO_SYSFS_ROOT, type GpioMapping } from './gpio-map.js';
import { PressListeners } from './press-listeners.js';

/** The part of onoff's `Gpio` this adapter uses (onoff.d.ts, v6). */
export interface OnoffGpio {
  readSync(): Level;
  watch(callback: (error: Error | null | undefined, value: Level) => void): void;
  unwatchAll(): void;
  unexport(): void;
}

export interface OnoffGpioOptions {
  debounceTimeout?: number;
  activeLow?: boolean;
}

export interface OnoffModule {
  Gpio: {
    new (gpio: number, direction: 'in', edge: 'both', options: OnoffGpioOptions): OnoffGpio;
    /** false when /sys/class/gpio/export is missing or not writable. */
    readonly accessible?: boolean;
  };
}

export interface OnoffButtonOptions {
  /** BCM number of the pin the button is wired to (not the physical header pin). */
  pin: number;
  /** Default true: button between the pin and ground, pull-up enabled (see README). */
  activeLow?: boolean;
  /** Debounce window; default 50 ms. */
  debounceMs?: number;
  /**
   * onoff's own debounce (lodash.debounce on the interrupt handler). Off by default: the
   * Debouncer does it, with injected timers, and stamps the press with the first edge.
   */
  driverDebounceMs?: number;
  logger: Logger;
  clock?: Clock;
  timers?: Timers;
  /** Default /sys/class/gpio; tests point it at a fake tree. */
  gpioSysfsRoot?: string;
  /** Loads onoff; tests pass a fake. Default: dynamic import of onoff. */
  loadDriver?: () => Promise<unknown>;
}

export interface ButtonStats {
  /** Edge reports from the driver (bounces included). */
  edges: number;
  presses: number;
  /** Interrupt reports that came with an error. */
  readErrors: number;
}

// A variable specifier keeps bundlers from inlining a native, Pi-only optional dependency.
const DRIVER_MODULE = 'onoff';
const importDriver = (): Promise<unknown> => import(DRIVER_MODULE);

/**
 * A push button on a GPIO pin through onoff (sysfs GPIO with epoll interrupts on both edges).
 * The BCM pin is mapped to the sysfs number by reading the gpiochips, so the same config works
 * on Bullseye and Bookworm, Pi 4 and Pi 5. Only this module imports onoff, and only in start():
 * its native `epoll` dependency exists on the Pi alone.
 */
export class OnoffButton implements Button {
  readonly name = 'gpio';
  private readonly listeners: PressListeners<'button'>;
  private readonly debouncer: Debouncer;
  private readonly clock: Clock;
  private gpio: OnoffGpio | undefined;
  private mapping: GpioMapping | undefined;
  private starting: Promise<void> | undefined;
  private readonly counters: ButtonStats = { edges: 0, presses: 0, readErrors: 0 };
  private errorStreak = 0;

  constructor(private readonly options: OnoffButtonOptions) {
    if (!Number.isInteger(options.pin) || options.pin < 0) {
      throw new RangeError(`button pin must be a BCM GPIO number ≥ 0 (got ${options.pin})`);
    }
    this.clock = options.clock ?? systemClock;
    this.listeners = new PressListeners('gpio', options.logger);
    this.debouncer = new Debouncer({
      debounceMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
      activeLow: options.activeLow ?? true,
      clock: this.clock,
      timers: options.timers ?? systemTimers,
      onPress: (atMs) => {
        this.counters.presses += 1;
        this.options.logger.debug({ pin: this.options.pin, atMs }, 'button pressed');
        this.listeners.emit({ atMs, source: 'button' });
      },
    });
  }

  onPress(listener: PressListener<'button'>): () => void {
    return this.listeners.add(listener);
  }

  /** Rejects with ButtonUnavailableError when onoff, the GPIO chip or the pin cannot be used. */
  start(): Promise<void> {
    if (this.gpio) return Promise.resolve();
    this.starting ??= this.open().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const gpio = this.gpio;
    this.gpio = undefined;
    this.debouncer.reset(this.debouncer.idleLevel);
    if (!gpio) return;
    try {
      gpio.unwatchAll();
      gpio.unexport();
    } catch (error) {
      this.options.logger.warn({ err: error, pin: this.options.pin }, 'could not release the button GPIO');
    }
  }

  stats(): ButtonStats & { sysfsGpio: number | null } {
    return { ...this.counters, sysfsGpio: this.mapping?.sysfs ?? null };
  }

  private async open(): Promise<void> {
    const { pin, logger } = this.options;
    const Gpio = await this.loadGpioClass();
    let mapping: GpioMapping;
    try {
      mapping = await bcmToSysfsGpio(pin, this.options.gpioSysfsRoot ?? DEFAULT_GPIO_SYSFS_ROOT);
    } catch (cause) {
      throw new ButtonUnavailableError(`button on BCM ${pin} unavailable: ${describe(cause)}`, { cause });
    }
    if (Gpio.accessible === false) {
      throw new ButtonUnavailableError(
        `button on BCM ${pin}: /sys/class/gpio/export is not writable; ` +
          'add the agent user to the gpio group, or run with --mock',
      );
    }
    const gpioOptions: OnoffGpioOptions = {
      // Polarity lives in the Debouncer (one place, tested with fake timers). Saying false
      // explicitly also clears an active_low that a crashed earlier process left in sysfs.
      activeLow: false,
    };
    if (this.options.driverDebounceMs) gpioOptions.debounceTimeout = this.options.driverDebounceMs;
    let gpio: OnoffGpio;
    try {
      gpio = new Gpio(mapping.sysfs, 'in', 'both', gpioOptions);
    } catch (cause) {
      throw new ButtonUnavailableError(
        `button on BCM ${pin} (sysfs GPIO ${mapping.sysfs} on ${mapping.chip.label}) could not be opened: ` +
          `${describe(cause)}. Check the agent user is in the gpio group and no other program holds the pin.`,
        { cause },
      );
    }
    const initial = gpio.readSync();
    this.debouncer.reset(initial);
    if (this.debouncer.isActive(initial)) {
      // sysfs cannot set pull resistors: BCM 9–27 default to pull-down, so an active-low button
      // there reads "pressed" forever unless config.txt has gpio=<pin>=ip,pu (or a resistor).
      logger.warn(
        { pin, pinLevel: initial, activeLow: this.debouncer.activeLow },
        `button pin reads pressed at start: held down, or pulled the wrong way — add gpio=${pin}=ip,${
          this.debouncer.activeLow ? 'pu' : 'pd'
        } to /boot/firmware/config.txt`,
      );
    }
    gpio.watch((error, value) => this.onEdge(error, value));
    this.gpio = gpio;
    this.mapping = mapping;
    logger.info(
      { pin, sysfsGpio: mapping.sysfs, chip: mapping.chip.label, debounceMs: this.debouncer.debounceMs },
      'button ready',
    );
  }

  private onEdge(error: Error | null | undefined, value: Level): void {
    if (error) {
      this.counters.readErrors += 1;
      this.errorStreak += 1;
      if (this.errorStreak === 1) {
        this.options.logger.warn({ err: error, pin: this.options.pin }, 'button GPIO read failed');
      }
      return;
    }
    this.errorStreak = 0;
    this.counters.edges += 1;
    this.debouncer.input(value);
  }

  private async loadGpioClass(): Promise<OnoffModule['Gpio']> {
    let driver: unknown;
    try {
      driver = await (this.options.loadDriver ?? importDriver)();
    } catch (cause) {
      // The fix differs: a module npm left out (or built for another machine) needs a
      // reinstall; one that loaded and then failed on the device needs the GPIO looked at.
      const advice =
        classifyDriverFailure(cause) === 'module-missing'
          ? `GPIO driver module ${DRIVER_MODULE} is missing or cannot load: reinstall from the release ` +
            'tarball for this architecture (install-pi.sh --from FILE.tar.gz); "coffee-iot-agent doctor" ' +
            'names the native module that fails'
          : `GPIO driver module ${DRIVER_MODULE} loaded but the GPIO is not usable: check /dev/gpiochip0 ` +
            'and /sys/class/gpio exist and the agent user is in the gpio group';
      throw new ButtonUnavailableError(
        `${advice}; or run with --mock to use the keyboard and the HTTP control port instead ` +
          `(${DRIVER_MODULE} could not be loaded: ${describe(cause)})`,
        { cause },
      );
    }
    const candidates = [(driver as { default?: unknown })?.default, driver];
    for (const candidate of candidates) {
      const Gpio = (candidate as Partial<OnoffModule> | undefined)?.Gpio;
      if (typeof Gpio === 'function') return Gpio;
    }
    throw new ButtonUnavailableError(
      `${DRIVER_MODULE} loaded but exposes no Gpio class; unsupported version`,
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
