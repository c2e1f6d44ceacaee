// jpeg-js and pngjs are the device workspace's encoders (hoisted to the root node_modules): real
// encoder output, so these tests see the headers a camera or an image library writes.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { PHOTO_SNIFF_BYTES, REKOGNITION_LIMITS, sniffPhoto, unanalyzableReason } from './photo-format.js';

const MIB = 1024 * 1024;

function pixels(width: number, height: number): Buffer {
  return Buffer.alloc(width * height * 4, 0x80);
}

function encodeJpeg(width: number, height: number): Uint8Array {
  return new Uint8Array(jpeg.encode({ data: pixels(width, height), width, height }, 80).data);
}

function encodePng(width: number, height: number): Uint8Array {
  const png = new pngjs.PNG({ width, height });
  pixels(width, height).copy(png.data);
  return new Uint8Array(pngjs.PNG.sync.write(png));
}

/** A marker segment: FF, marker, 2-byte length (counting itself), payload. */
function segment(marker: number, payload: number[] | Uint8Array): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/** A frame header payload: precision, height, width, one component. */
function frame(width: number, height: number): number[] {
  return [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
}

const SOI = [0xff, 0xd8];
const JFIF = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const DQT = segment(0xdb, new Uint8Array(65));
const SOS = segment(0xda, [1, 1, 0, 0, 0x3f, 0]);

describe('sniffPhoto', () => {
  it('reads the size of a baseline JPEG from its SOF0 frame header', () => {
    expect(sniffPhoto(encodeJpeg(640, 480))).toEqual({ format: 'jpeg', width: 640, height: 480 });
  });

  it('reads the size of a PNG from its IHDR chunk', () => {
    expect(sniffPhoto(encodePng(600, 400))).toEqual({ format: 'png', width: 600, height: 400 });
  });

  it('reads a progressive JPEG (SOF2) after fill bytes, past tables it must skip', () => {
    const bytes = new Uint8Array([
      ...SOI,
      ...JFIF,
      ...DQT,
      0xff,
      0xff,
      ...segment(0xc2, frame(1280, 720)),
      ...SOS,
    ]);
    expect(sniffPhoto(bytes)).toEqual({ format: 'jpeg', width: 1280, height: 720 });
  });

  it('does not take a Huffman table (C4) for a frame header', () => {
    const bytes = new Uint8Array([
      ...SOI,
      ...segment(0xc4, frame(40, 30)),
      ...segment(0xc0, frame(1920, 1080)),
    ]);
    expect(sniffPhoto(bytes)).toEqual({ format: 'jpeg', width: 1920, height: 1080 });
  });

  it('leaves the size unknown when the frame header lies beyond the bytes read', () => {
    // A full-size APP1 (EXIF with a thumbnail) pushes SOF past the first 64 KiB.
    const app1 = segment(0xe1, new Uint8Array(0xffff - 2));
    const image = encodeJpeg(64, 48);
    const bytes = new Uint8Array([...SOI, ...app1, ...image.subarray(2)]);
    expect(sniffPhoto(bytes)).toEqual({ format: 'jpeg', width: 64, height: 48 });
    expect(sniffPhoto(bytes.subarray(0, PHOTO_SNIFF_BYTES))).toEqual({ format: 'jpeg' });
  });

  it('leaves the size unknown when the scan starts before any frame header', () => {
    expect(sniffPhoto(new Uint8Array([...SOI, ...JFIF, ...SOS, 1, 2, 3, 0xff, 0xd9]))).toEqual({
      format: 'jpeg',
    });
  });

  it('leaves the size unknown for a height deferred to a DNL marker (0)', () => {
    expect(sniffPhoto(new Uint8Array([...SOI, ...segment(0xc0, frame(640, 0))]))).toEqual({ format: 'jpeg' });
  });

  it('leaves the size unknown when the header is cut short', () => {
    expect(sniffPhoto(new Uint8Array([...SOI, 0xff, 0xc0, 0x00, 0x11, 8, 0x01]))).toEqual({ format: 'jpeg' });
    expect(sniffPhoto(encodePng(600, 400).subarray(0, 20))).toEqual({ format: 'png' });
  });

  it('knows nothing else', () => {
    expect(sniffPhoto(new TextEncoder().encode('GIF89a\x01\x00'))).toEqual({ format: 'unknown' });
    expect(sniffPhoto(new Uint8Array([0xff, 0xd8, 0x00, 0x00]))).toEqual({ format: 'unknown' });
    expect(sniffPhoto(new Uint8Array())).toEqual({ format: 'unknown' });
  });
});

describe('unanalyzableReason', () => {
  it('has nothing against a camera-sized JPEG or PNG', () => {
    const jpg = encodeJpeg(1280, 720);
    expect(unanalyzableReason({ sizeBytes: jpg.length, start: jpg })).toBeNull();
    const png = encodePng(600, 400);
    expect(unanalyzableReason({ sizeBytes: png.length, start: png })).toBeNull();
  });

  it('refuses an object over 15 MB', () => {
    const jpg = encodeJpeg(1280, 720);
    expect(unanalyzableReason({ sizeBytes: Math.round(16.2 * MIB), start: jpg })).toBe(
      'object is 16.2 MB; Rekognition takes at most 15 MB from S3',
    );
  });

  it('accepts exactly 15 MB and names the bytes when one decimal would hide the excess', () => {
    const jpg = encodeJpeg(1280, 720);
    expect(REKOGNITION_LIMITS.maxS3ObjectBytes).toBe(15 * MIB);
    expect(unanalyzableReason({ sizeBytes: 15 * MIB, start: jpg })).toBeNull();
    expect(unanalyzableReason({ sizeBytes: 15 * MIB + 1, start: jpg })).toBe(
      'object is 15728641 bytes; Rekognition takes at most 15 MB from S3',
    );
  });

  it('refuses what is neither JPEG nor PNG, naming its first bytes', () => {
    const gif = new TextEncoder().encode('GIF89a\x50\x00\x50\x00');
    expect(unanalyzableReason({ sizeBytes: 4000, start: gif })).toBe(
      'not a JPEG or PNG (starts with 47 49 46 38)',
    );
  });

  it('refuses an empty object', () => {
    expect(unanalyzableReason({ sizeBytes: 0, start: new Uint8Array() })).toBe(
      'object is empty; not a JPEG or PNG',
    );
  });

  it('refuses a picture under 80 px on either side', () => {
    const small = encodeJpeg(64, 48);
    expect(unanalyzableReason({ sizeBytes: small.length, start: small })).toBe(
      'image is 64×48 px; Rekognition needs at least 80 px per side',
    );
    const narrow = encodePng(79, 400);
    expect(unanalyzableReason({ sizeBytes: narrow.length, start: narrow })).toBe(
      'image is 79×400 px; Rekognition needs at least 80 px per side',
    );
    const flat = encodeJpeg(400, 79);
    expect(unanalyzableReason({ sizeBytes: flat.length, start: flat })).toBe(
      'image is 400×79 px; Rekognition needs at least 80 px per side',
    );
  });

  it('accepts exactly 80 px per side', () => {
    const square = encodeJpeg(80, 80);
    expect(unanalyzableReason({ sizeBytes: square.length, start: square })).toBeNull();
  });

  it('does not refuse a JPEG whose size it could not read', () => {
    const app1 = segment(0xe1, new Uint8Array(0xffff - 2));
    const small = encodeJpeg(64, 48);
    const bytes = new Uint8Array([...SOI, ...app1, ...small.subarray(2)]);
    expect(
      unanalyzableReason({ sizeBytes: bytes.length, start: bytes.subarray(0, PHOTO_SNIFF_BYTES) }),
    ).toBeNull();
  });
});
