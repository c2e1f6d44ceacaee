import { jpegSize } from '@coffee-iot/shared';

const MIB = 1024 * 1024;

/**
 * What Rekognition DetectFaces accepts from S3 (DESIGN.md, platform facts). AWS writes "15 MB";
 * we read it as MiB, the lenient reading: a photo between the two readings still goes to
 * Rekognition, and if that was wrong it answers ImageTooLargeException, which is recorded as
 * unanalyzable just the same. Refusing a photo Rekognition would have taken would lose it.
 */
export const REKOGNITION_LIMITS = Object.freeze({
  maxS3ObjectBytes: 15 * MIB,
  minSidePixels: 80,
  formats: Object.freeze(['jpeg', 'png'] as const),
});

/**
 * How many leading bytes to read before deciding. A JPEG's frame header (SOFn) follows its
 * APPn segments; an EXIF block with a thumbnail can push it past this, and then the size stays
 * unknown, which is not a reason to refuse.
 */
export const PHOTO_SNIFF_BYTES = 64 * 1024;

export type PhotoFormat = 'jpeg' | 'png' | 'unknown';

export interface SniffedPhoto {
  format: PhotoFormat;
  /** Pixel size when the header was within the bytes given; absent when unknown. */
  width?: number;
  height?: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = [0x49, 0x48, 0x44, 0x52];

/** The format and, when the header is within `start`, the pixel size of an image. */
export function sniffPhoto(start: Uint8Array): SniffedPhoto {
  if (startsWith(start, PNG_SIGNATURE)) return { format: 'png', ...pngSize(start) };
  // SOI (FF D8) followed by the first marker's FF: a lone FF D8 is not enough to call it JPEG.
  if (startsWith(start, [0xff, 0xd8, 0xff])) return { format: 'jpeg', ...jpegSize(start) };
  return { format: 'unknown' };
}

/**
 * Why Rekognition would refuse this photo, in words fit for the coffee row's `reason`, or null
 * when nothing we can see rules it out. `start` is the object's first bytes (PHOTO_SNIFF_BYTES,
 * or all of it when shorter).
 */
export function unanalyzableReason(info: { sizeBytes: number; start: Uint8Array }): string | null {
  const { maxS3ObjectBytes, minSidePixels } = REKOGNITION_LIMITS;
  if (info.sizeBytes > maxS3ObjectBytes) {
    return `object is ${describeSize(info.sizeBytes)}; Rekognition takes at most ${maxS3ObjectBytes / MIB} MB from S3`;
  }
  if (info.start.length === 0) return 'object is empty; not a JPEG or PNG';
  const photo = sniffPhoto(info.start);
  if (photo.format === 'unknown') return `not a JPEG or PNG (starts with ${hex(info.start.subarray(0, 4))})`;
  if (
    photo.width !== undefined &&
    photo.height !== undefined &&
    (photo.width < minSidePixels || photo.height < minSidePixels)
  ) {
    return `image is ${photo.width}×${photo.height} px; Rekognition needs at least ${minSidePixels} px per side`;
  }
  return null;
}

/** PNG: the IHDR chunk must come first, right after the signature (PNG spec §5.6). */
function pngSize(bytes: Uint8Array): { width?: number; height?: number } {
  if (bytes.length < 24 || !startsWith(bytes.subarray(12), IHDR)) return {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return width > 0 && height > 0 ? { width, height } : {};
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

/** MiB with one decimal, labelled "MB" as AWS does; bytes when one decimal would hide the excess. */
function describeSize(bytes: number): string {
  const text = (bytes / MIB).toFixed(1);
  // "15.0 MB" would not show why an object 1 byte over the limit is refused.
  return Number(text) * MIB > REKOGNITION_LIMITS.maxS3ObjectBytes ? `${text} MB` : `${bytes} bytes`;
}
