// Reading a JPEG's pixel size from its frame header: the camera checks what it wrote, the cloud
// checks a photo against Rekognition's minimum size before paying for a call.

const MARKER = 0xff;
const EOI = 0xd9;
const SOS = 0xda;

/** Width and height from the first SOFn segment before the scan data, or {} if not found. */
export function jpegSize(bytes: Uint8Array): { width?: number; height?: number } {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== MARKER) return {};
    let marker = bytes[offset + 1] ?? 0;
    // Any number of FF fill bytes may precede a marker.
    while (marker === MARKER && offset + 2 < bytes.length) {
      offset += 1;
      marker = bytes[offset + 1] ?? 0;
    }
    offset += 2;
    // Stand-alone markers (TEM, RSTn) carry no length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === SOS || marker === EOI) return {};
    const length = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
    if (length < 2) return {};
    if (isStartOfFrame(marker) && offset + 7 <= bytes.length) {
      const height = ((bytes[offset + 3] ?? 0) << 8) | (bytes[offset + 4] ?? 0);
      const width = ((bytes[offset + 5] ?? 0) << 8) | (bytes[offset + 6] ?? 0);
      // A height of 0 means "defined later by a DNL marker": leave it unknown.
      return height > 0 && width > 0 ? { width, height } : {};
    }
    offset += length;
  }
  return {};
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}
