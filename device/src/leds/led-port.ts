/**
 * The Sense HAT's 8×8 LED matrix as the capture flow sees it. Only `sense-hat-leds.ts` imports
 * the driver; `terminal-leds.ts` draws the same frames in the terminal for --mock.
 */

export type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
export type LedIcon = 'offline' | 'uploading' | 'error' | 'ok';

/** 0–255 per channel. */
export type Rgb = readonly [number, number, number];

/** 64 pixels, row by row from the top left (the order sense-hat-led's setPixels takes). */
export type Frame = readonly Rgb[];

export interface LedMatrix {
  showDigit(digit: Digit): Promise<void>;
  /** The whole matrix white: the "smile now" moment. */
  flash(): Promise<void>;
  showIcon(icon: LedIcon): Promise<void>;
  clear(): Promise<void>;
  /** Turns the matrix off and releases it. Idempotent; later calls reject with LedError. */
  close(): Promise<void>;
}

/** One LED operation failed (framebuffer write error, or the matrix is closed). */
export class LedError extends Error {
  override readonly name = 'LedError';
}

/** The LED driver cannot be loaded at all (no HAT, no framebuffer, module missing). */
export class LedUnavailableError extends Error {
  override readonly name = 'LedUnavailableError';
}

export function isDigit(value: number): value is Digit {
  return Number.isInteger(value) && value >= 0 && value <= 9;
}
