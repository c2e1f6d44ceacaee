import type { Digit, Frame, LedIcon, Rgb } from './led-port.js';

export const MATRIX_SIZE = 8;

export const OFF: Rgb = [0, 0, 0];
export const WHITE: Rgb = [255, 255, 255];
const PALETTE: Readonly<Record<string, Rgb>> = {
  '.': OFF,
  '#': WHITE,
  w: WHITE,
  r: [255, 0, 0],
  g: [0, 200, 0],
  b: [0, 90, 255],
  a: [255, 140, 0],
};

/** 4×7 digits: wide enough to read across a kitchen, centred horizontally in the 8×8 matrix. */
const DIGITS: Readonly<Record<Digit, readonly string[]>> = {
  0: ['.##.', '#..#', '#..#', '#..#', '#..#', '#..#', '.##.'],
  1: ['..#.', '.##.', '..#.', '..#.', '..#.', '..#.', '.###'],
  2: ['.##.', '#..#', '...#', '..#.', '.#..', '#...', '####'],
  3: ['.##.', '#..#', '...#', '.##.', '...#', '#..#', '.##.'],
  4: ['#..#', '#..#', '#..#', '####', '...#', '...#', '...#'],
  5: ['####', '#...', '###.', '...#', '...#', '#..#', '.##.'],
  6: ['.##.', '#...', '#...', '###.', '#..#', '#..#', '.##.'],
  7: ['####', '...#', '...#', '..#.', '.#..', '.#..', '.#..'],
  8: ['.##.', '#..#', '#..#', '.##.', '#..#', '#..#', '.##.'],
  9: ['.##.', '#..#', '#..#', '.###', '...#', '...#', '.##.'],
};

/** 8×8 icons; letters name PALETTE colours. */
const ICONS: Readonly<Record<LedIcon, readonly string[]>> = {
  // Wi-Fi arcs in amber, struck through in red.
  offline: ['r.......', '.raaaa..', '.ar...a.', 'a..ra..a', '..a.ra..', '.....r..', '...aa.r.', '...aa..r'],
  // A blue arrow pointing up.
  uploading: ['...bb...', '..bbbb..', '.bbbbbb.', 'bb.bb.bb', '...bb...', '...bb...', '...bb...', '...bb...'],
  // A red cross.
  error: ['r......r', '.r....r.', '..r..r..', '...rr...', '...rr...', '..r..r..', '.r....r.', 'r......r'],
  // A green tick.
  ok: ['........', '.......g', '......g.', '.....g..', 'g...g...', '.g.g....', '..g.....', '........'],
};

/** A glyph of `rows` strings placed centred on the 8×8 matrix (rounding up-left), in `colour`. */
export function renderGlyph(rows: readonly string[], colour?: Rgb): Frame {
  const height = rows.length;
  const width = Math.max(0, ...rows.map((row) => row.length));
  if (height > MATRIX_SIZE || width > MATRIX_SIZE) {
    throw new RangeError(`glyph of ${width}×${height} does not fit the ${MATRIX_SIZE}×${MATRIX_SIZE} matrix`);
  }
  const top = Math.floor((MATRIX_SIZE - height) / 2);
  const left = Math.floor((MATRIX_SIZE - width) / 2);
  const pixels: Rgb[] = Array.from({ length: MATRIX_SIZE * MATRIX_SIZE }, () => OFF);
  rows.forEach((row, y) => {
    [...row].forEach((cell, x) => {
      const paletteColour = PALETTE[cell];
      if (!paletteColour) throw new RangeError(`unknown glyph cell "${cell}"`);
      if (paletteColour === OFF) return;
      pixels[(top + y) * MATRIX_SIZE + left + x] = colour ?? paletteColour;
    });
  });
  return pixels;
}

export function digitFrame(digit: Digit, colour: Rgb = WHITE): Frame {
  return renderGlyph(DIGITS[digit], colour);
}

export function iconFrame(icon: LedIcon): Frame {
  return renderGlyph(ICONS[icon]);
}

export function flashFrame(colour: Rgb = WHITE): Frame {
  return solidFrame(colour);
}

export function blankFrame(): Frame {
  return solidFrame(OFF);
}

function solidFrame(colour: Rgb): Frame {
  return Array.from({ length: MATRIX_SIZE * MATRIX_SIZE }, () => colour);
}

/** The frame as 8 text rows ('#' lit, '.' off): for tests and logs. */
export function frameToText(frame: Frame): string[] {
  const rows: string[] = [];
  for (let y = 0; y < MATRIX_SIZE; y += 1) {
    let row = '';
    for (let x = 0; x < MATRIX_SIZE; x += 1) {
      const [r, g, b] = frame[y * MATRIX_SIZE + x] ?? OFF;
      row += r + g + b > 0 ? '#' : '.';
    }
    rows.push(row);
  }
  return rows;
}
