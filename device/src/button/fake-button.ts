import { type Clock, systemClock } from '../ports/clock.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { Button, ButtonSource, ButtonUnavailableError, PressListener } from './button-port.js';
import { PressListeners } from './press-listeners.js';

export interface FakeButtonOptions {
  /** Default 'button'. */
  source?: ButtonSource;
  clock?: Clock;
  logger?: Logger;
  /** start() rejects with this (like a Pi without onoff or without the HAT). */
  failStart?: ButtonUnavailableError;
}

/**
 * A button pressed from code: tests, and the mock mode's keyboard/HTTP triggers can be wired to
 * it. Like the real adapters it only reports presses between start() and stop().
 */
export class FakeButton implements Button {
  readonly name = 'fake';
  private readonly listeners: PressListeners<ButtonSource>;
  private readonly clock: Clock;
  private started = false;
  private pressCount = 0;

  constructor(private readonly options: FakeButtonOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.listeners = new PressListeners('fake', options.logger ?? silentLogger());
  }

  onPress(listener: PressListener<ButtonSource>): () => void {
    return this.listeners.add(listener);
  }

  async start(): Promise<void> {
    if (this.options.failStart) throw this.options.failStart;
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  get running(): boolean {
    return this.started;
  }

  get presses(): number {
    return this.pressCount;
  }

  /** One debounced press now (or at `atMs`). Returns false, emitting nothing, when not started. */
  press(atMs: number = this.clock.now()): boolean {
    if (!this.started) return false;
    this.pressCount += 1;
    this.listeners.emit({ atMs, source: this.options.source ?? 'button' });
    return true;
  }
}
