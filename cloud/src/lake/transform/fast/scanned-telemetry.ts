/**
 * Where the scanner leaves one telemetry record: offsets into the record's bytes and the numbers'
 * values, in typed arrays reused from record to record (no object per reading or per field).
 * Valid only until the next scan.
 */
export class ScannedTelemetry {
  /** deviceId, bootId and thing as data[start, end); thingStart -1 when the record has none. */
  deviceStart = 0;
  deviceEnd = 0;
  bootStart = 0;
  bootEnd = 0;
  thingStart = -1;
  thingEnd = -1;
  /** The record's `reingested`, 0 when absent. */
  reingested = 0;
  /** Readings scanned. */
  count = 0;
  /** Per reading i: where it starts and ends, its seq (value and text), where its ts text starts. */
  readingStart = new Int32Array(0);
  readingEnd = new Int32Array(0);
  seq = new Float64Array(0);
  seqStart = new Int32Array(0);
  seqEnd = new Int32Array(0);
  tsStart = new Int32Array(0);
  /** Per reading i and number field f (at i * fields + f): its text's start (-1: absent), end, value. */
  numberStart = new Int32Array(0);
  numberEnd = new Int32Array(0);
  value = new Float64Array(0);
  private capacity = 0;

  constructor(readonly fields: number) {
    this.ensure(16);
  }

  /** Room for `readings` readings. */
  ensure(readings: number): void {
    if (readings <= this.capacity) return;
    const capacity = Math.max(readings, this.capacity * 2);
    const grow = <T extends Int32Array | Float64Array>(old: T, size: number, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    const ints = (n: number) => new Int32Array(n);
    const doubles = (n: number) => new Float64Array(n);
    this.readingStart = grow(this.readingStart, capacity, ints);
    this.readingEnd = grow(this.readingEnd, capacity, ints);
    this.seq = grow(this.seq, capacity, doubles);
    this.seqStart = grow(this.seqStart, capacity, ints);
    this.seqEnd = grow(this.seqEnd, capacity, ints);
    this.tsStart = grow(this.tsStart, capacity, ints);
    this.numberStart = grow(this.numberStart, capacity * this.fields, ints);
    this.numberEnd = grow(this.numberEnd, capacity * this.fields, ints);
    this.value = grow(this.value, capacity * this.fields, doubles);
    this.capacity = capacity;
  }
}
