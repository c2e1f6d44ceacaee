import { describe, expect, it } from 'vitest';
import { blankFrame, digitFrame, flashFrame, frameToText, iconFrame, renderGlyph, WHITE } from './glyphs.js';
import type { Digit, LedIcon } from './led-port.js';

const DIGITS: Digit[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const ICONS: LedIcon[] = ['offline', 'uploading', 'error', 'ok'];

describe('glyphs', () => {
  it('draws 3 as a 4×7 glyph centred horizontally on the 8×8 matrix', () => {
    expect(frameToText(digitFrame(3))).toEqual([
      '...##...',
      '..#..#..',
      '.....#..',
      '...##...',
      '.....#..',
      '..#..#..',
      '...##...',
      '........',
    ]);
  });

  it('gives every digit 64 pixels, columns 0–1 and 6–7 dark, and a distinct shape', () => {
    const shapes = new Set<string>();
    for (const digit of DIGITS) {
      const frame = digitFrame(digit);
      expect(frame).toHaveLength(64);
      const rows = frameToText(frame);
      for (const row of rows) {
        expect(row.slice(0, 2) + row.slice(6)).toBe('....');
      }
      shapes.add(rows.join('/'));
    }
    expect(shapes.size).toBe(10);
  });

  it('draws digits in the colour asked for', () => {
    const amber = [255, 140, 0] as const;
    const lit = digitFrame(1, amber).filter((rgb) => rgb[0] + rgb[1] + rgb[2] > 0);
    expect(lit.length).toBeGreaterThan(5);
    expect(lit.every((rgb) => rgb === amber)).toBe(true);
  });

  it('gives every icon 64 pixels and its own colour', () => {
    const colours = new Map<LedIcon, string>();
    for (const icon of ICONS) {
      const frame = iconFrame(icon);
      expect(frame).toHaveLength(64);
      const lit = frame.filter((rgb) => rgb[0] + rgb[1] + rgb[2] > 0);
      expect(lit.length).toBeGreaterThan(5);
      colours.set(icon, [...new Set(lit.map((rgb) => rgb.join(',')))].sort().join(' '));
    }
    expect(colours.get('error')).toBe('255,0,0');
    expect(colours.get('ok')).toBe('0,200,0');
    expect(new Set(colours.values()).size).toBe(ICONS.length);
  });

  it('flashes every pixel white and blanks every pixel', () => {
    expect(flashFrame().every((rgb) => rgb === WHITE)).toBe(true);
    expect(blankFrame().every((rgb) => rgb[0] + rgb[1] + rgb[2] === 0)).toBe(true);
  });

  it('refuses a glyph larger than the matrix or with unknown cells', () => {
    expect(() => renderGlyph(['#########'])).toThrow(RangeError);
    expect(() => renderGlyph(['#?'])).toThrow(/unknown glyph cell/);
  });
});
