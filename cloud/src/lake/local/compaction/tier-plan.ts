/**
 * Which files of an hour to merge, LSM-style by size tier: a file written by one lake write is
 * tier 0, a merge of tier-k files is tier k+1. When a tier holds `fanout` files they are merged
 * into one file of the next tier. An hour of 1,800 writes (one every 2 s) then keeps at most
 * (fanout - 1) files per tier over log_fanout(1800) tiers (fanout 4: ≤ 18, usually about half),
 * and each row is rewritten once per tier (about 5 times), not once per merge.
 */

/** `{firstStem}.c{tier}-{8 hex}.parquet`: a merged file; anything else `.parquet` is tier 0. */
const MERGED = /^([^.]+)\.c(\d+)-[0-9a-f]{8}\.parquet$/;

export interface TieredFile {
  readonly name: string;
  readonly tier: number;
}

export function tierOf(name: string): number {
  const match = MERGED.exec(name);
  return match === null ? 0 : Number(match[2]);
}

/** The stem a file's rows start at: its own, or for a merged file its first input's. */
export function firstStemOf(name: string): string {
  return name.slice(0, name.indexOf('.'));
}

/**
 * The merged file's name: after its first input (files sort by arrival time, so it sorts where
 * its rows begin) with a random suffix no ingest or replay ever writes.
 */
export function mergedName(inputs: readonly string[], tier: number, suffix: string): string {
  const first = [...inputs].sort()[0];
  if (first === undefined) throw new RangeError('a merge needs at least one input');
  return `${firstStemOf(first)}.c${tier}-${suffix}.parquet`;
}

export interface PlannedMerge {
  readonly inputs: string[];
  /** The tier of the merged file. */
  readonly tier: number;
}

/**
 * The first merge due among `names` (the partition's visible Parquet files, minus those a
 * finished merge has yet to retire), or null: the lowest tier holding `fanout` files or more,
 * all of that tier merged into one.
 */
export function nextMerge(names: readonly string[], fanout: number): PlannedMerge | null {
  if (!Number.isInteger(fanout) || fanout < 2)
    throw new RangeError(`fanout must be an integer ≥ 2, got ${fanout}`);
  const tiers = new Map<number, string[]>();
  for (const name of names) {
    const tier = tierOf(name);
    const list = tiers.get(tier) ?? [];
    list.push(name);
    tiers.set(tier, list);
  }
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const files = tiers.get(tier) as string[];
    if (files.length >= fanout) return { inputs: files.sort(), tier: tier + 1 };
  }
  return null;
}
