import { blankFrame, digitFrame, flashFrame, iconFrame } from './glyphs.js';
import {
  type Digit,
  type Frame,
  LedError,
  type LedIcon,
  type LedMatrix,
  LedUnavailableError,
} from './led-port.js';

/** The synchronous half of sense-hat-led's API this adapter uses (README, v1.2). */
export interface SenseHatLedSync {
  setPixels(pixels: number[][]): void;
  setRotation(rotation: number, redraw?: boolean): void;
}

export type LedRotation = 0 | 90 | 180 | 270;

export interface SenseHatLedsOptions {
  /** Turn the picture when the Pi is mounted sideways or upside down. Default 0 (HDMI port down). */
  rotation?: LedRotation;
  /** Loads the driver module; tests pass a fake. Default: dynamic import of sense-hat-led. */
  loadDriver?: () => Promise<unknown>;
}

// A variable specifier keeps bundlers from inlining a Pi-only optional dependency.
const DRIVER_MODULE = 'sense-hat-led';
const importDriver = (): Promise<unknown> => import(DRIVER_MODULE);

/**
 * Opens the Sense HAT LED matrix. Rejects with LedUnavailableError when the driver cannot load:
 * sense-hat-led looks for the "RPi-Sense FB" framebuffer at import time and throws without it
 * ("Cannot detect RPi-Sense FB device").
 */
export async function openSenseHatLeds(options: SenseHatLedsOptions = {}): Promise<LedMatrix> {
  let driver: unknown;
  try {
    driver = await (options.loadDriver ?? importDriver)();
  } catch (cause) {
    throw new LedUnavailableError(
      `Sense HAT LED driver (${DRIVER_MODULE}) could not be loaded: ${describe(cause)}. ` +
        'Check the HAT is seated and dtoverlay=rpi-sense is set, or run with --mock to draw the LEDs in the terminal.',
      { cause },
    );
  }
  const sync = findSyncApi(driver);
  if (!sync) {
    throw new LedUnavailableError(
      `${DRIVER_MODULE} loaded but exposes no sync.setPixels; unsupported version`,
    );
  }
  const rotation = options.rotation ?? 0;
  if (![0, 90, 180, 270].includes(rotation)) {
    throw new LedUnavailableError(`LED rotation must be 0, 90, 180 or 270 (got ${rotation})`);
  }
  // Rotation is module state in sense-hat-led; redraw=false: nothing of ours is shown yet.
  if (rotation !== 0) sync.setRotation(rotation, false);
  return new SenseHatLeds(sync);
}

/**
 * Writes whole frames with the driver's synchronous setPixels: 128 bytes to the framebuffer,
 * microseconds. The asynchronous setPixels is avoided on purpose: when the framebuffer cannot
 * be opened it calls fs.write with an undefined descriptor inside a callback, an uncaught
 * exception no caller can catch. A synchronous throw is caught here and becomes a LedError.
 */
class SenseHatLeds implements LedMatrix {
  private closed = false;

  constructor(private readonly driver: SenseHatLedSync) {}

  async showDigit(digit: Digit): Promise<void> {
    this.draw('digit', digitFrame(digit));
  }

  async flash(): Promise<void> {
    this.draw('flash', flashFrame());
  }

  async showIcon(icon: LedIcon): Promise<void> {
    this.draw(`icon ${icon}`, iconFrame(icon));
  }

  async clear(): Promise<void> {
    this.draw('clear', blankFrame());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.draw('clear', blankFrame());
    } finally {
      this.closed = true;
    }
  }

  private draw(what: string, frame: Frame): void {
    if (this.closed) throw new LedError(`LED matrix is closed (${what})`);
    try {
      this.driver.setPixels(frame.map((rgb) => [rgb[0], rgb[1], rgb[2]]));
    } catch (cause) {
      throw new LedError(`Sense HAT LED ${what} failed: ${describe(cause)}`, { cause });
    }
  }
}

function findSyncApi(driver: unknown): SenseHatLedSync | undefined {
  // sense-hat-led is CommonJS: under `import()` its exports sit on `default`.
  for (const candidate of [(driver as { default?: unknown })?.default, driver]) {
    const sync = (candidate as { sync?: Partial<SenseHatLedSync> } | undefined)?.sync;
    if (typeof sync?.setPixels === 'function' && typeof sync.setRotation === 'function') {
      return sync as SenseHatLedSync;
    }
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
