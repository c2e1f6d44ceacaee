import { SeqSet } from './seq-set.js';

/** The dedupe key of a reading as a string: device ids cannot contain a space (THING_NAME_PATTERN). */
export function readingKey(deviceId: string, seq: number): string {
  return `${deviceId} ${seq}`;
}

/** What the transform asks of the readings already emitted. */
export interface ReadingDedupe {
  has(deviceId: string, seq: number): boolean;
  add(deviceId: string, seq: number): void;
}

/**
 * Readings already emitted, as one set of seqs per device (SeqSet: bitmaps). Much faster than a
 * Set<string> of readingKey()s in the transform's inner loop (no key string to build and hash
 * per reading) and a fraction of the memory, which matters to a caller keeping it across batches.
 */
export class SeenReadings implements ReadingDedupe {
  private readonly byDevice = new Map<string, SeqSet>();
  // Consecutive readings nearly always share a device: skip the map lookup for them.
  private lastDevice: string | undefined;
  private lastSet: SeqSet | undefined;

  static fromKeys(keys: Iterable<string>): SeenReadings {
    const seen = new SeenReadings();
    for (const key of keys) {
      const space = key.lastIndexOf(' ');
      seen.add(key.slice(0, space), Number(key.slice(space + 1)));
    }
    return seen;
  }

  private setOf(deviceId: string, create: boolean): SeqSet | undefined {
    if (deviceId === this.lastDevice) return this.lastSet;
    let set = this.byDevice.get(deviceId);
    if (set === undefined) {
      if (!create) return undefined;
      set = new SeqSet();
      this.byDevice.set(deviceId, set);
    }
    this.lastDevice = deviceId;
    this.lastSet = set;
    return set;
  }

  has(deviceId: string, seq: number): boolean {
    return this.setOf(deviceId, false)?.has(seq) ?? false;
  }

  add(deviceId: string, seq: number): void {
    this.setOf(deviceId, true)?.add(seq);
  }

  get size(): number {
    let size = 0;
    for (const set of this.byDevice.values()) size += set.size;
    return size;
  }

  *keys(): IterableIterator<string> {
    for (const [deviceId, set] of this.byDevice)
      for (const seq of set.values()) yield readingKey(deviceId, seq);
  }
}

/** A caller's Set<string> of readingKey()s behind the same interface (the slower, simpler form). */
export function stringKeyDedupe(keys: Set<string>): ReadingDedupe {
  return {
    has: (deviceId, seq) => keys.has(readingKey(deviceId, seq)),
    add: (deviceId, seq) => void keys.add(readingKey(deviceId, seq)),
  };
}
