import { blankFrame, digitFrame, flashFrame, iconFrame, MATRIX_SIZE, OFF } from './glyphs.js';
import { type Digit, type Frame, LedError, type LedIcon, type LedMatrix } from './led-port.js';

export interface TerminalLedsOptions {
  /** Where frames go. Default: process.stdout. */
  write?: (text: string) => void;
  /** Whether the output is a terminal. Default: process.stdout.isTTY. */
  isTTY?: boolean;
  /** Draw even when the output is not a terminal (escape codes and all). Default false. */
  force?: boolean;
}

const RESET = '\x1b[0m';
/** An unlit LED: a dim dot, so the 8×8 grid stays visible. */
const UNLIT = '\x1b[2m· \x1b[22m';

/**
 * The mock LED matrix: draws each frame as 8 rows of 24-bit-colour blocks, two columns per
 * pixel so it looks square. Frames are appended, not redrawn in place — logs interleave with
 * them and cursor tricks would garble both. Off when the output is not a terminal (piped into a
 * file or journald), unless forced; the state is tracked either way.
 */
export class TerminalLeds implements LedMatrix {
  private readonly write: (text: string) => void;
  private readonly enabled: boolean;
  private closed = false;
  private current: Frame = blankFrame();
  private drawn = 0;

  constructor(options: TerminalLedsOptions = {}) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
    this.enabled = options.force === true || (options.isTTY ?? process.stdout.isTTY === true);
  }

  /** What the matrix shows now. */
  get frame(): Frame {
    return this.current;
  }

  /** Frames written to the terminal so far. */
  get framesDrawn(): number {
    return this.drawn;
  }

  async showDigit(digit: Digit): Promise<void> {
    this.show(`${digit}`, digitFrame(digit));
  }

  async flash(): Promise<void> {
    this.show('flash', flashFrame());
  }

  async showIcon(icon: LedIcon): Promise<void> {
    this.show(icon, iconFrame(icon));
  }

  async clear(): Promise<void> {
    this.show('clear', blankFrame());
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private show(caption: string, frame: Frame): void {
    if (this.closed) throw new LedError(`LED matrix is closed (${caption})`);
    this.current = frame;
    if (!this.enabled) return;
    this.write(renderAnsi(frame, `LEDs: ${caption}`));
    this.drawn += 1;
  }
}

/** The frame as ANSI text: a caption line, then 8 rows. */
export function renderAnsi(frame: Frame, caption: string): string {
  const lines = [caption];
  for (let y = 0; y < MATRIX_SIZE; y += 1) {
    let line = '  ';
    for (let x = 0; x < MATRIX_SIZE; x += 1) {
      const [r, g, b] = frame[y * MATRIX_SIZE + x] ?? OFF;
      line += r + g + b === 0 ? UNLIT : `\x1b[48;2;${r};${g};${b}m  ${RESET}`;
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
