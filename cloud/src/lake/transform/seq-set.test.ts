import { describe, expect, it } from 'vitest';
import { SeqSet } from './seq-set.js';

describe('SeqSet', () => {
  it('answers has and size as a Set<number> does over the same adds, at block edges and far apart', () => {
    const seqs = [
      0,
      1,
      31,
      32,
      255,
      256,
      257,
      511,
      512,
      1e6,
      2 ** 53 - 1,
      2 ** 40 + 3,
      7,
      256,
      0,
      -1,
      1.5,
      -0.5,
    ];
    let x = 12345;
    for (let i = 0; i < 3000; i += 1) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      seqs.push(x % 5000);
    }
    const set = new SeqSet();
    const reference = new Set<number>();
    for (const seq of seqs) {
      expect(set.has(seq)).toBe(reference.has(seq));
      set.add(seq);
      reference.add(seq);
      expect(set.has(seq)).toBe(true);
      expect(set.size).toBe(reference.size);
    }
    for (let seq = 0; seq < 6000; seq += 1) expect(set.has(seq)).toBe(reference.has(seq));
    expect(set.has(2 ** 53 - 2)).toBe(false);
    expect(set.has(2.5)).toBe(false);
    const integers = [...reference]
      .filter((seq) => seq >= 0 && Number.isSafeInteger(seq))
      .sort((a, b) => a - b);
    expect([...set.values()]).toEqual([...integers, -1, 1.5, -0.5]);
  });
});
