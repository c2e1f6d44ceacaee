import { jpegSize } from '@coffee-iot/shared';

export type JpegCheck =
  | { ok: true; width?: number; height?: number }
  | {
      ok: false;
      /** What is wrong, for CameraOutputError: "empty file", "does not start with SOI"… */
      problem: string;
    };

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;

/**
 * Cheap structural check of a JPEG the camera wrote: not empty, starts with SOI (FF D8) and
 * ends with EOI (FF D9) — a truncated write or a crashed encoder fails the last one. The
 * pixel size comes from the first frame header (SOFn) when the marker walk reaches it; a
 * walk that gets lost only leaves the size unknown, it does not fail the check.
 */
export function checkJpeg(bytes: Uint8Array): JpegCheck {
  if (bytes.length === 0) return { ok: false, problem: 'empty file' };
  if (bytes.length < 4 || bytes[0] !== MARKER || bytes[1] !== SOI) {
    return { ok: false, problem: `not a JPEG (does not start with FF D8; ${bytes.length} bytes)` };
  }
  if (bytes[bytes.length - 2] !== MARKER || bytes[bytes.length - 1] !== EOI) {
    return { ok: false, problem: `truncated JPEG (does not end with FF D9; ${bytes.length} bytes)` };
  }
  return { ok: true, ...jpegSize(bytes) };
}
