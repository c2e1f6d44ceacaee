/**
 * Which telemetry files can share a reading with another: the views (views.ts) deduplicate only
 * those. A reading is identified by (device_id, seq), so two files can share one only if, for
 * some device, their seq ranges overlap.
 */
export interface FileSeqRange {
  file: string;
  device: string;
  lo: number;
  hi: number;
}

/**
 * Files holding a (device, seq) range that overlaps another file's range for the same device:
 * the only files that can share a reading. Per device, sorted by range start, a range overlaps an
 * earlier one when it starts at or before the highest end before it, and a later one when the
 * lowest start after it is at or before its end.
 */
export function filesWithOverlappingRanges(ranges: readonly FileSeqRange[]): Set<string> {
  const byDevice = new Map<string, FileSeqRange[]>();
  for (const range of ranges) {
    let list = byDevice.get(range.device);
    if (list === undefined) {
      list = [];
      byDevice.set(range.device, list);
    }
    list.push(range);
  }
  const overlapping = new Set<string>();
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.lo - b.lo || a.hi - b.hi);
    let highestBefore = Number.NEGATIVE_INFINITY;
    for (const range of list) {
      if (range.lo <= highestBefore) overlapping.add(range.file);
      highestBefore = Math.max(highestBefore, range.hi);
    }
    let lowestAfter = Number.POSITIVE_INFINITY;
    for (let i = list.length - 1; i >= 0; i -= 1) {
      const range = list[i] as FileSeqRange;
      if (lowestAfter <= range.hi) overlapping.add(range.file);
      lowestAfter = Math.min(lowestAfter, range.lo);
    }
  }
  return overlapping;
}
