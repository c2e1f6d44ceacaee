/**
 * mulberry32: a tiny, fast 32-bit seeded PRNG. Not for anything secret — it exists so the
 * mock sensors give the same values for the same seed, on every machine and Node version
 * (Math.random cannot be seeded).
 */
export type Random = () => number;

/** Returns a generator of floats in [0, 1) fully determined by `seed`. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes two integers into one 32-bit seed (a murmur3-style finaliser), so that a value can be
 * derived from (seed, time) alone instead of from how many values were drawn before it.
 */
export function mixSeed(a: number, b: number): number {
  // Numbers above 2^32 (epoch ms) are folded in as two 32-bit halves.
  let h = (a >>> 0) ^ Math.imul((b >>> 0) ^ Math.floor(b / 4294967296), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Roughly normal noise with standard deviation `sigma` (sum of three uniforms). */
export function noise(random: Random, sigma: number): number {
  // The sum of three U(0,1) has variance 1/4, hence the factor 2.
  return (random() + random() + random() - 1.5) * 2 * sigma;
}
