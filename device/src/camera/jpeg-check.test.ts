import { jpegSize } from '@coffee-iot/shared';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { checkJpeg } from './jpeg-check.js';

function smallJpeg(width = 40, height = 24): Buffer {
  const data = Buffer.alloc(width * height * 4, 200);
  return jpeg.encode({ width, height, data }, 80).data;
}

/** Inserts an APP1 segment right after SOI, the way an EXIF block with a thumbnail sits. */
function withApp1(image: Buffer, payload: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(payload.length + 2);
  return Buffer.concat([image.subarray(0, 2), Buffer.from([0xff, 0xe1]), length, payload, image.subarray(2)]);
}

describe('checkJpeg', () => {
  it('accepts a JPEG and reads its size from the frame header', () => {
    expect(checkJpeg(smallJpeg(40, 24))).toEqual({ ok: true, width: 40, height: 24 });
  });

  it('skips an EXIF segment that embeds a thumbnail JPEG with its own markers', () => {
    const thumbnail = smallJpeg(8, 6);
    const image = withApp1(smallJpeg(64, 48), Buffer.concat([Buffer.from('Exif\0\0'), thumbnail]));
    expect(checkJpeg(image)).toEqual({ ok: true, width: 64, height: 48 });
  });

  it('tolerates fill bytes before a marker', () => {
    const image = smallJpeg(32, 16);
    const filled = Buffer.concat([image.subarray(0, 2), Buffer.from([0xff, 0xff]), image.subarray(2)]);
    expect(jpegSize(filled)).toEqual({ width: 32, height: 16 });
  });

  it('rejects an empty file', () => {
    expect(checkJpeg(new Uint8Array())).toEqual({ ok: false, problem: 'empty file' });
  });

  it('rejects bytes that do not start with SOI', () => {
    const result = checkJpeg(Buffer.from('ERROR: *** no cameras available ***\n'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(/does not start with FF D8/);
  });

  it('rejects a JPEG cut off before EOI', () => {
    const image = smallJpeg();
    const result = checkJpeg(image.subarray(0, image.length - 10));
    expect(!result.ok && result.problem).toMatch(/truncated JPEG/);
  });

  it('leaves the size unknown when the marker walk gets lost, without failing the check', () => {
    const lost = Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x56, 0x78, 0xff, 0xd9]);
    expect(checkJpeg(lost)).toEqual({ ok: true });
  });
});
