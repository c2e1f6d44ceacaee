/** Seqs per block: 8 words of 32 bits. */
const BLOCK = 256;
const WORDS = BLOCK / 32;

/**
 * A set of one device's reading seqs as bitmaps of 256 consecutive seqs, for the dedupe's
 * has-then-add per reading. A device counts up, so its seqs fill blocks one after the other: a
 * lookup is a division and a bit test in the block of the last lookup, with no hashing and no
 * hash table to grow (Set<number> spent a sixth of the local lake's JS thread on this). A seq
 * far from the others costs one block (about 100 bytes instead of a Set entry's 20 or so); a seq
 * that is not a non-negative safe integer (the schemas admit none) goes to a plain Set.
 */
export class SeqSet {
  private readonly blocks = new Map<number, Uint32Array>();
  private readonly others = new Set<number>();
  private lastBlock = -1;
  private lastBits: Uint32Array | undefined;
  private count = 0;

  get size(): number {
    return this.count + this.others.size;
  }

  private bitsOf(block: number, create: boolean): Uint32Array | undefined {
    if (block === this.lastBlock) return this.lastBits;
    let bits = this.blocks.get(block);
    if (bits === undefined) {
      if (!create) return undefined;
      bits = new Uint32Array(WORDS);
      this.blocks.set(block, bits);
    }
    this.lastBlock = block;
    this.lastBits = bits;
    return bits;
  }

  has(seq: number): boolean {
    if (!(seq >= 0 && Number.isSafeInteger(seq))) return this.others.has(seq);
    const block = Math.floor(seq / BLOCK);
    const bits = this.bitsOf(block, false);
    if (bits === undefined) return false;
    const bit = seq - block * BLOCK;
    return ((bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  add(seq: number): void {
    if (!(seq >= 0 && Number.isSafeInteger(seq))) {
      this.others.add(seq);
      return;
    }
    const block = Math.floor(seq / BLOCK);
    const bits = this.bitsOf(block, true) as Uint32Array;
    const bit = seq - block * BLOCK;
    const word = bits[bit >>> 5] as number;
    const mask = 1 << (bit & 31);
    if ((word & mask) !== 0) return;
    bits[bit >>> 5] = word | mask;
    this.count += 1;
  }

  /** The seqs, in ascending order (those outside the bitmaps after). */
  *values(): IterableIterator<number> {
    for (const block of [...this.blocks.keys()].sort((a, b) => a - b)) {
      const bits = this.blocks.get(block) as Uint32Array;
      for (let bit = 0; bit < BLOCK; bit += 1) {
        if (((bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0) yield block * BLOCK + bit;
      }
    }
    yield* this.others;
  }
}
