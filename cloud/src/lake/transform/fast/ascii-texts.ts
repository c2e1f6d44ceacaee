/**
 * ASCII texts read from bytes, remembered: a batch's records come from a few devices (and boots),
 * interleaved, and finding the string already made costs less than making a new one, which the
 * dedupe would then hash again. Each slot holds the last text whose bytes hashed to it; a slot
 * taken by another text is simply replaced.
 */
export class AsciiTexts {
  private readonly bytes: (Uint8Array | undefined)[] = new Array(SLOTS).fill(undefined);
  private readonly texts: string[] = new Array(SLOTS).fill('');

  /** The text of data[start, end), which must be ASCII. */
  of(data: Uint8Array, start: number, end: number): string {
    let hash = end - start;
    for (let p = start; p < end; p += 1) hash = (Math.imul(hash, 31) + (data[p] as number)) | 0;
    const slot = hash & (SLOTS - 1);
    const known = this.bytes[slot];
    if (known !== undefined && known.length === end - start) {
      let same = true;
      for (let i = 0; i < known.length; i += 1) {
        if (data[start + i] !== known[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.texts[slot] as string;
    }
    const bytes = data.slice(start, end);
    let text = '';
    for (let i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i] as number);
    this.bytes[slot] = bytes;
    this.texts[slot] = text;
    return text;
  }
}

const SLOTS = 256;
