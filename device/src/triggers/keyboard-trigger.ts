import type { Readable } from 'node:stream';
import type { PressListener, PressTrigger } from '../button/button-port.js';
import { PressListeners } from '../button/press-listeners.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** The part of process.stdin this trigger uses; tests pass a PassThrough with these fields. */
export type KeyboardInput = Readable & {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?: (mode: boolean) => unknown;
};

export interface KeyboardTriggerOptions {
  logger: Logger;
  /** Default: process.stdin. */
  input?: KeyboardInput;
  clock?: Clock;
  /**
   * Raw mode turns Ctrl-C into a plain byte instead of SIGINT; this is called instead. Default:
   * re-raise SIGINT on this process, so the runner's orderly shutdown still happens.
   */
  onInterrupt?: () => void;
}

const CTRL_C = 0x03;

/**
 * Mock mode's button: Enter or `c` on stdin is a press (source 'keyboard').
 *
 * On a terminal stdin goes into raw mode so a single key press counts without waiting for a line;
 * stop() restores the mode it found. Otherwise (stdin piped) it reads lines: an empty line or a
 * line "c" is one press each, anything else is ignored.
 */
export class KeyboardTrigger implements PressTrigger<'keyboard'> {
  readonly name = 'keyboard';
  private readonly listeners: PressListeners<'keyboard'>;
  private readonly input: KeyboardInput;
  private readonly clock: Clock;
  private running = false;
  private rawModeSet = false;
  private wasRaw = false;
  private partialLine = '';

  private readonly onData = (chunk: Buffer | string) => this.handle(chunk);
  private readonly onError = (error: Error) =>
    this.options.logger.warn({ err: error }, 'keyboard trigger: stdin failed');

  constructor(private readonly options: KeyboardTriggerOptions) {
    this.input = options.input ?? process.stdin;
    this.clock = options.clock ?? systemClock;
    this.listeners = new PressListeners('keyboard', options.logger);
  }

  onPress(listener: PressListener<'keyboard'>): () => void {
    return this.listeners.add(listener);
  }

  /** Whether keys count on their own (raw terminal) rather than per line. */
  get rawMode(): boolean {
    return this.rawModeSet;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.partialLine = '';
    if (this.input.isTTY && typeof this.input.setRawMode === 'function') {
      this.wasRaw = this.input.isRaw === true;
      this.input.setRawMode(true);
      this.rawModeSet = true;
    }
    this.input.on('data', this.onData);
    this.input.on('error', this.onError);
    this.input.resume();
    this.options.logger.info(
      { rawMode: this.rawModeSet },
      this.rawModeSet
        ? 'press Enter or c to take a photo'
        : 'send an empty line or "c" on stdin to take a photo',
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.input.off('data', this.onData);
    this.input.off('error', this.onError);
    if (this.rawModeSet) {
      this.input.setRawMode?.(this.wasRaw);
      this.rawModeSet = false;
    }
    // A paused stdin no longer holds the event loop open, so the process can exit.
    this.input.pause();
  }

  private handle(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.rawModeSet) {
      for (const char of text) {
        if (char.charCodeAt(0) === CTRL_C) {
          (this.options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT')))();
        } else if (char === '\r' || char === '\n' || char === 'c' || char === 'C') {
          this.press();
        }
      }
      return;
    }
    const lines = (this.partialLine + text).split('\n');
    // A line that never ends is not a command; do not let it grow without bound.
    this.partialLine = (lines.pop() ?? '').slice(-256);
    for (const line of lines) {
      const command = line.trim().toLowerCase();
      if (command === '' || command === 'c') this.press();
    }
  }

  private press(): void {
    this.listeners.emit({ atMs: this.clock.now(), source: 'keyboard' });
  }
}
