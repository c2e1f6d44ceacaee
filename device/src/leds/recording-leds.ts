import { type Clock, systemClock } from '../ports/clock.js';
import { type Digit, LedError, type LedIcon, type LedMatrix } from './led-port.js';

export type LedCall =
  | { op: 'digit'; digit: Digit; atMs: number }
  | { op: 'flash' | 'clear' | 'close'; atMs: number }
  | { op: 'icon'; icon: LedIcon; atMs: number };

export interface RecordingLedsOptions {
  clock?: Clock;
  /** Operations that reject with LedError (like a framebuffer write failing). */
  failOn?: ReadonlyArray<LedCall['op']>;
}

/** A LedMatrix that records every call with its time: for tests of the capture flow. */
export class RecordingLeds implements LedMatrix {
  readonly calls: LedCall[] = [];
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: RecordingLedsOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async showDigit(digit: Digit): Promise<void> {
    this.record({ op: 'digit', digit, atMs: this.clock.now() });
  }

  async flash(): Promise<void> {
    this.record({ op: 'flash', atMs: this.clock.now() });
  }

  async showIcon(icon: LedIcon): Promise<void> {
    this.record({ op: 'icon', icon, atMs: this.clock.now() });
  }

  async clear(): Promise<void> {
    this.record({ op: 'clear', atMs: this.clock.now() });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.calls.push({ op: 'close', atMs: this.clock.now() });
  }

  /** The calls as short strings ("3", "flash", "icon:ok"), for readable assertions. */
  get script(): string[] {
    return this.calls.map((call) =>
      call.op === 'digit' ? String(call.digit) : call.op === 'icon' ? `icon:${call.icon}` : call.op,
    );
  }

  private record(call: LedCall): void {
    if (this.closed) throw new LedError(`LED matrix is closed (${call.op})`);
    if (this.options.failOn?.includes(call.op)) throw new LedError(`injected LED failure (${call.op})`);
    this.calls.push(call);
  }
}
