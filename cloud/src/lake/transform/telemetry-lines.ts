/**
 * A record's telemetry rows as newline-terminated JSON lines (what the Firehose answer carries),
 * as UTF-8 in one buffer reused from record to record: the rows are written into it and
 * base64-encoded from it, with no string per line nor per record in between. Each line is exactly
 * `JSON.stringify(row, TELEMETRY_COLUMNS names)` of the row appendTelemetryRows would have built
 * (tests hold the two together).
 */
export class TelemetryLines {
  /** The lines are bytes[0, length). Another buffer after reserve() when it had to grow. */
  bytes: Buffer = Buffer.allocUnsafeSlow(4096);
  length = 0;
  rows = 0;

  /** Room for `extra` more bytes after `length`; returns the buffer to write them into. */
  reserve(extra: number): Buffer {
    const needed = this.length + extra;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Appends `text` as UTF-8. */
  appendText(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
    this.reserve(text.length * 3);
    this.length += this.bytes.write(text, this.length, 'utf8');
  }

  /** Empties it for the next record (the buffer stays). */
  clear(): void {
    this.length = 0;
    this.rows = 0;
  }

  get text(): string {
    return this.bytes.toString('utf8', 0, this.length);
  }

  base64(): string {
    return this.bytes.toString('base64', 0, this.length);
  }
}
