/**
 * A seeded random source for the fast path's differential tests (mulberry32): the same seed gives
 * the same inputs, so a failure names an input that can be had again.
 */
export interface RandomSource {
  /** In [0, 1). */
  next(): number;
  /** An integer in [low, high]. */
  int(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  /** A number-like text: often valid JSON, often canonical, sometimes neither. */
  numberText(): string;
}

export function randomSource(seed: number): RandomSource {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const digits = (count: number) => Array.from({ length: count }, () => String(int(0, 9))).join('');
  const numberText = () => {
    const kind = int(0, 5);
    if (kind === 0) return JSON.stringify(Number(((next() - 0.5) * 10 ** int(0, 8)).toFixed(int(0, 10))));
    if (kind === 1) return JSON.stringify((next() - 0.5) * 10 ** int(-9, 22));
    const sign = pick(['', '', '-', '+']);
    const whole = pick(['0', digits(1), digits(int(1, 18)), `0${digits(1)}`]);
    const fraction = pick([
      '',
      '',
      `.${digits(int(0, 20))}`,
      `.${'0'.repeat(int(1, 8))}${digits(int(1, 4))}`,
    ]);
    const exponent = pick(['', '', '', `e${int(-30, 30)}`, `E+${int(0, 3)}`]);
    return `${sign}${whole}${fraction}${exponent}`;
  };
  return { next, int, pick, chance: (probability) => next() < probability, numberText };
}
