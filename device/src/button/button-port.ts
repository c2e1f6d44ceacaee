/**
 * The coffee button as the rest of the agent sees it. Only `onoff-button.ts` imports the GPIO
 * driver and only `joystick-button.ts` touches the Sense HAT joystick; the fake implements the
 * same port for tests and --mock.
 */

/** Where a press came from: the GPIO button, the Sense HAT joystick, or a mock-mode trigger. */
export type PressSource = 'button' | 'joystick' | 'keyboard' | 'http';

export interface Press<S extends PressSource = PressSource> {
  /** Milliseconds since the epoch (injected clock) when the press happened. */
  readonly atMs: number;
  readonly source: S;
}

export type PressListener<S extends PressSource = PressSource> = (press: Press<S>) => void;

/** Anything that produces presses: hardware buttons and the mock-mode triggers alike. */
export interface PressTrigger<S extends PressSource = PressSource> {
  /** Adapter name for logs and health ("gpio", "sense-hat-joystick", "keyboard", "http", "fake"). */
  readonly name: string;
  /** Claims the hardware (or stdin, or a port). Rejects with a named error when it cannot. */
  start(): Promise<void>;
  /** Releases everything start() claimed. Idempotent. */
  stop(): Promise<void>;
  /** Subscribes to presses; returns the unsubscribe function. A throwing listener is logged, not fatal. */
  onPress(listener: PressListener<S>): () => void;
}

export type ButtonSource = 'button' | 'joystick';
export type ButtonPress = Press<ButtonSource>;

/** A physical trigger: the GPIO push button or the Sense HAT joystick's middle press. */
export interface Button extends PressTrigger<ButtonSource> {}

/** The button cannot be used at all: driver missing, no GPIO sysfs, no permission, no joystick. */
export class ButtonUnavailableError extends Error {
  override readonly name = 'ButtonUnavailableError';
}

/** The BCM pin could not be mapped to a sysfs GPIO number (see gpio-map.ts). */
export class GpioMappingError extends Error {
  override readonly name = 'GpioMappingError';
}
