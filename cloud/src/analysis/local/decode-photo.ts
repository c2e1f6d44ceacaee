import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UnanalyzablePhotoError } from '../face-analyzer.js';
import { sniffPhoto } from '../photo-format.js';

/** A decoded photo: RGBA pixels, 4 bytes a pixel, row by row. */
export interface DecodedPhoto {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Beyond this the decoder would allocate absurd amounts: refuse, like Rekognition's limits. */
const MAX_PIXELS = 50_000_000;

/** Decodes a JPEG or PNG into RGBA pixels; anything else is unanalyzable. */
export function decodePhoto(bytes: Uint8Array): DecodedPhoto {
  const { format } = sniffPhoto(bytes.subarray(0, 64 * 1024));
  try {
    if (format === 'jpeg') {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_PIXELS / 1_000_000,
      });
      return { width: img.width, height: img.height, rgba: img.data };
    }
    if (format === 'png') {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (img.width * img.height > MAX_PIXELS) throw new Error(`${img.width}×${img.height} is too large`);
      return { width: img.width, height: img.height, rgba: new Uint8Array(img.data) };
    }
  } catch (err) {
    throw new UnanalyzablePhotoError(
      `InvalidImageFormatException: cannot decode ${format}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  throw new UnanalyzablePhotoError('InvalidImageFormatException: not a JPEG or PNG');
}
