import { describe, expect, it } from 'vitest';
import { frameToText } from './glyphs.js';
import { renderAnsi, TerminalLeds } from './terminal-leds.js';

describe('TerminalLeds', () => {
  it('draws each frame as a caption and 8 rows of 24-bit colour blocks', async () => {
    const written: string[] = [];
    const leds = new TerminalLeds({ write: (text) => written.push(text), isTTY: true });
    await leds.showDigit(2);
    expect(written).toHaveLength(1);
    const lines = (written[0] ?? '').trimEnd().split('\n');
    expect(lines[0]).toBe('LEDs: 2');
    expect(lines).toHaveLength(9);
    expect(written[0]).toContain('\x1b[48;2;255;255;255m  \x1b[0m');
    expect(leds.framesDrawn).toBe(1);
  });

  it('draws icons in their colours', async () => {
    const written: string[] = [];
    const leds = new TerminalLeds({ write: (text) => written.push(text), isTTY: true });
    await leds.showIcon('error');
    expect(written[0]).toContain('LEDs: error');
    expect(written[0]).toContain('\x1b[48;2;255;0;0m');
  });

  it('writes nothing when the output is not a terminal, but still tracks the matrix', async () => {
    const written: string[] = [];
    const leds = new TerminalLeds({ write: (text) => written.push(text), isTTY: false });
    await leds.showDigit(1);
    expect(written).toEqual([]);
    expect(frameToText(leds.frame).join('')).toContain('#');
    await leds.clear();
    expect(frameToText(leds.frame).join('')).not.toContain('#');
  });

  it('draws anyway when forced', async () => {
    const written: string[] = [];
    const leds = new TerminalLeds({ write: (text) => written.push(text), isTTY: false, force: true });
    await leds.flash();
    expect(written).toHaveLength(1);
  });

  it('renders a blank frame as dim dots, with no colour codes', () => {
    const text = renderAnsi(
      Array.from({ length: 64 }, () => [0, 0, 0] as const),
      'blank',
    );
    expect(text).not.toContain('48;2');
    expect(text.split('\n')[1]).toContain('·');
  });
});
