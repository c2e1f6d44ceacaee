import { constants } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { type Button, ButtonUnavailableError, type PressListener } from './button-port.js';
import { PressListeners } from './press-listeners.js';

/** The name both Sense HAT joystick drivers give their input device. */
export const SENSE_HAT_JOYSTICK_NAME = 'Raspberry Pi Sense HAT Joystick';

const EV_KEY = 1;
/** Middle press: KEY_ENTER from Raspberry Pi's rpisense-js driver… */
const KEY_ENTER = 28;
/** …and BTN_SELECT from the mainline sensehat-joystick driver. */
const BTN_SELECT = 0x13a;
const MIDDLE_PRESS_CODES: ReadonlySet<number> = new Set([KEY_ENTER, BTN_SELECT]);
/** value 1 = press, 0 = release, 2 = autorepeat while held (ignored: one press per push). */
const KEY_DOWN = 1;

export interface InputEvent {
  type: number;
  code: number;
  value: number;
}

/** A non-blocking event device. `read` resolves 0 when no event is waiting. */
export interface EventDevice {
  read(buffer: Buffer): Promise<number>;
  close(): Promise<void>;
}

export interface JoystickButtonOptions {
  logger: Logger;
  clock?: Clock;
  timers?: Timers;
  /** How often the event device is drained; default 50 ms (the countdown takes seconds anyway). */
  pollIntervalMs?: number;
  /** Default /sys/class/input. */
  inputSysfsRoot?: string;
  /** Default /dev/input. */
  devInputRoot?: string;
  /** sizeof(struct input_event) for this process: 24 on 64-bit, 16 on 32-bit (default by process.arch). */
  eventSize?: 16 | 24;
  /** Opens the device found; tests pass a fake. Default: open(O_RDONLY | O_NONBLOCK). */
  openDevice?: (path: string) => Promise<EventDevice>;
}

/**
 * The Sense HAT joystick's middle press as a second trigger.
 *
 * Why not `sense-joystick` (node-sense-hat's joystick part)? It parses a 16-byte input_event,
 * which is wrong on 64-bit Raspberry Pi OS (24 bytes), reads only the first event of each
 * chunk and cannot be stopped. Instead the evdev device is found by name under
 * /sys/class/input, opened non-blocking and drained every `pollIntervalMs`: a blocking read
 * would pin a libuv thread-pool thread until the next press and keep the process alive after
 * stop(). Pure Node, no native module. The device is root:input 0660 — the agent user must be
 * in group `input`.
 */
export class JoystickButton implements Button {
  readonly name = 'sense-hat-joystick';
  private readonly listeners: PressListeners<'joystick'>;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly pollIntervalMs: number;
  private readonly eventSize: 16 | 24;
  private readonly buffer: Buffer;
  private device: EventDevice | undefined;
  private devicePath: string | undefined;
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;
  /** Bumped by start() and stop() so a drain finishing after a restart does not poll twice. */
  private generation = 0;
  private readErrors = 0;
  private errorStreak = 0;
  private presses = 0;

  constructor(private readonly options: JoystickButtonOptions) {
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    if (!(Number.isInteger(this.pollIntervalMs) && this.pollIntervalMs > 0)) {
      throw new RangeError(`pollIntervalMs must be a positive integer (got ${options.pollIntervalMs})`);
    }
    this.eventSize = options.eventSize ?? nativeInputEventSize();
    // evdev returns whole events only; room for 64 per read.
    this.buffer = Buffer.alloc(this.eventSize * 64);
    this.listeners = new PressListeners('sense-hat-joystick', options.logger);
  }

  onPress(listener: PressListener<'joystick'>): () => void {
    return this.listeners.add(listener);
  }

  async start(): Promise<void> {
    if (this.device) return;
    const path = await findSenseHatJoystick(this.options.inputSysfsRoot, this.options.devInputRoot);
    if (!path) {
      throw new ButtonUnavailableError(
        `no "${SENSE_HAT_JOYSTICK_NAME}" input device: is the Sense HAT seated with dtoverlay=rpi-sense? ` +
          'Disable the joystick trigger or run with --mock.',
      );
    }
    try {
      this.device = await (this.options.openDevice ?? openNonBlocking)(path);
    } catch (cause) {
      throw new ButtonUnavailableError(
        `cannot open the Sense HAT joystick ${path}: ${describe(cause)}. ` +
          'The agent user must be in the input group.',
        { cause },
      );
    }
    this.devicePath = path;
    this.generation += 1;
    this.options.logger.info({ device: path }, 'joystick ready');
    this.schedule(this.generation);
  }

  async stop(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    this.generation += 1;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    // Let a drain in progress finish before closing the descriptor under it.
    await this.polling;
    if (!device) return;
    try {
      await device.close();
    } catch (error) {
      this.options.logger.warn(
        { err: error, device: this.devicePath },
        'could not close the joystick device',
      );
    }
  }

  stats(): { presses: number; readErrors: number } {
    return { presses: this.presses, readErrors: this.readErrors };
  }

  private schedule(generation: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.polling = this.drain().finally(() => {
        this.polling = undefined;
        if (this.device && generation === this.generation) this.schedule(generation);
      });
    }, this.pollIntervalMs);
  }

  private async drain(): Promise<void> {
    const device = this.device;
    if (!device) return;
    try {
      for (;;) {
        const bytes = await device.read(this.buffer);
        if (bytes <= 0) break;
        for (const event of parseInputEvents(this.buffer.subarray(0, bytes), this.eventSize)) {
          if (isMiddlePress(event)) this.emitPress();
        }
        if (bytes < this.buffer.length) break;
      }
      if (this.errorStreak > 0) {
        this.options.logger.info({ failures: this.errorStreak }, 'joystick reads recovered');
        this.errorStreak = 0;
      }
    } catch (error) {
      this.readErrors += 1;
      this.errorStreak += 1;
      // One line per streak: a detached HAT fails on every poll.
      if (this.errorStreak === 1) {
        this.options.logger.warn({ err: error, device: this.devicePath }, 'joystick read failed');
      }
    }
  }

  private emitPress(): void {
    this.presses += 1;
    this.listeners.emit({ atMs: this.clock.now(), source: 'joystick' });
  }
}

/** Splits raw evdev bytes into events; a trailing partial event is ignored. */
export function parseInputEvents(bytes: Buffer, eventSize: 16 | 24): InputEvent[] {
  // struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; }, with a
  // timeval of two longs: 8+8 bytes on 64-bit, 4+4 on 32-bit. Little-endian on every Pi.
  const timeval = eventSize - 8;
  const events: InputEvent[] = [];
  for (let offset = 0; offset + eventSize <= bytes.length; offset += eventSize) {
    events.push({
      type: bytes.readUInt16LE(offset + timeval),
      code: bytes.readUInt16LE(offset + timeval + 2),
      value: bytes.readInt32LE(offset + timeval + 4),
    });
  }
  return events;
}

export function isMiddlePress(event: InputEvent): boolean {
  return event.type === EV_KEY && MIDDLE_PRESS_CODES.has(event.code) && event.value === KEY_DOWN;
}

/** Finds /dev/input/eventN whose sysfs name is the Sense HAT joystick's; undefined when absent. */
export async function findSenseHatJoystick(
  inputSysfsRoot = '/sys/class/input',
  devInputRoot = '/dev/input',
): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(inputSysfsRoot);
  } catch {
    return undefined;
  }
  for (const entry of entries.filter((name) => /^event\d+$/.test(name))) {
    try {
      const name = (await readFile(join(inputSysfsRoot, entry, 'device', 'name'), 'utf8')).trim();
      if (name === SENSE_HAT_JOYSTICK_NAME) return join(devInputRoot, basename(entry));
    } catch {
      // An input device without a readable name is not ours.
    }
  }
  return undefined;
}

export function nativeInputEventSize(arch: string = process.arch): 16 | 24 {
  return arch === 'arm' || arch === 'ia32' ? 16 : 24;
}

async function openNonBlocking(path: string): Promise<EventDevice> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return {
    async read(buffer) {
      try {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        return bytesRead;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
        throw error;
      }
    },
    close: () => handle.close(),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
