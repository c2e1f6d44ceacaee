import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

/** 8-bit RGBA pixels, row-major, as jpeg-js encodes them. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Neutral grey of the letterbox bars (and of transparent pixels). */
export const LETTERBOX_GREY = 128;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** Decodes a PNG (pngjs) or JPEG (jpeg-js) by its magic bytes; throws on anything else. */
export function decodePhoto(bytes: Uint8Array): RgbaImage {
  if (PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) {
    // pngjs hands back RGBA at 8 bits per channel whatever the file's colour type and depth.
    const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: image.width, height: image.height, data: image.data };
  }
  throw new Error('neither a PNG nor a JPEG');
}

/**
 * The photo scaled to fit inside width×height (aspect kept) and centred on a grey canvas,
 * as a camera frame would frame it. Transparent pixels are composited onto the same grey.
 * Resampling is a separable tent filter whose support widens when shrinking, so large
 * photos are averaged down rather than aliased.
 */
export function letterbox(source: RgbaImage, width: number, height: number): RgbaImage {
  const scale = Math.min(width / source.width, height / source.height);
  const fitWidth = Math.max(1, Math.min(width, Math.round(source.width * scale)));
  const fitHeight = Math.max(1, Math.min(height, Math.round(source.height * scale)));
  const left = Math.floor((width - fitWidth) / 2);
  const top = Math.floor((height - fitHeight) / 2);

  const canvas = new Uint8Array(width * height * 4).fill(LETTERBOX_GREY);
  for (let i = 3; i < canvas.length; i += 4) canvas[i] = 255;

  // Horizontal pass: source rows → fitWidth columns, alpha composited onto grey (RGB floats).
  const columns = tentWeights(source.width, fitWidth);
  const rows = new Float32Array(fitWidth * source.height * 3);
  for (let y = 0; y < source.height; y++) {
    const sourceRow = y * source.width * 4;
    for (let x = 0; x < fitWidth; x++) {
      const { taps, weights } = columns[x] as Taps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < taps.length; t++) {
        const at = sourceRow + (taps[t] as number) * 4;
        const w = weights[t] as number;
        const alpha = (source.data[at + 3] as number) / 255;
        const grey = LETTERBOX_GREY * (1 - alpha);
        r += w * ((source.data[at] as number) * alpha + grey);
        g += w * ((source.data[at + 1] as number) * alpha + grey);
        b += w * ((source.data[at + 2] as number) * alpha + grey);
      }
      const out = (y * fitWidth + x) * 3;
      rows[out] = r;
      rows[out + 1] = g;
      rows[out + 2] = b;
    }
  }

  // Vertical pass: fitWidth × source.height → the canvas at (left, top).
  const lines = tentWeights(source.height, fitHeight);
  for (let y = 0; y < fitHeight; y++) {
    const { taps, weights } = lines[y] as Taps;
    for (let x = 0; x < fitWidth; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < taps.length; t++) {
        const at = ((taps[t] as number) * fitWidth + x) * 3;
        const w = weights[t] as number;
        r += w * (rows[at] as number);
        g += w * (rows[at + 1] as number);
        b += w * (rows[at + 2] as number);
      }
      const out = ((top + y) * width + left + x) * 4;
      canvas[out] = clampByte(r);
      canvas[out + 1] = clampByte(g);
      canvas[out + 2] = clampByte(b);
    }
  }
  return { width, height, data: canvas };
}

/**
 * Applies the camera's rotation (0/180) and flips in place. A 180° turn is both flips, so
 * each axis flips when exactly one of (rotation, its flip) asks for it.
 */
export function orient(
  image: RgbaImage,
  transform: { rotation: 0 | 180; hflip: boolean; vflip: boolean },
): RgbaImage {
  const flipX = transform.hflip !== (transform.rotation === 180);
  const flipY = transform.vflip !== (transform.rotation === 180);
  const { width, height } = image;
  // One 32-bit word per RGBA pixel; copy first if the bytes are not word-aligned.
  if (image.data.byteOffset % 4 !== 0) image.data = image.data.slice();
  const pixels = new Uint32Array(image.data.buffer, image.data.byteOffset, width * height);
  if (flipX) {
    for (let y = 0; y < height; y++) pixels.subarray(y * width, (y + 1) * width).reverse();
  }
  if (flipY) {
    for (let y = 0; y < Math.floor(height / 2); y++) {
      const top = pixels.slice(y * width, (y + 1) * width);
      const bottom = (height - 1 - y) * width;
      pixels.copyWithin(y * width, bottom, bottom + width);
      pixels.set(top, bottom);
    }
  }
  return image;
}

export function encodeJpeg(image: RgbaImage, quality: number): Buffer {
  return jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality).data;
}

interface Taps {
  taps: number[];
  weights: number[];
}

function tentWeights(sourceSize: number, targetSize: number): Taps[] {
  const scale = targetSize / sourceSize;
  const radius = Math.max(1, 1 / scale);
  const result: Taps[] = [];
  for (let i = 0; i < targetSize; i++) {
    const centre = (i + 0.5) / scale - 0.5;
    const taps: number[] = [];
    const weights: number[] = [];
    let total = 0;
    for (let j = Math.ceil(centre - radius); j <= Math.floor(centre + radius); j++) {
      const weight = 1 - Math.abs(j - centre) / radius;
      if (weight <= 0) continue;
      taps.push(Math.min(sourceSize - 1, Math.max(0, j)));
      weights.push(weight);
      total += weight;
    }
    if (total === 0) {
      taps.push(Math.min(sourceSize - 1, Math.max(0, Math.round(centre))));
      weights.push(1);
      total = 1;
    }
    result.push({ taps, weights: weights.map((w) => w / total) });
  }
  return result;
}

function clampByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}
