import jpeg from 'jpeg-js';

/** A real baseline JPEG of the given size (grey), for tests that sniff or analyse images. */
export function testJpeg(width = 640, height = 480): Uint8Array {
  const data = Buffer.alloc(width * height * 4, 0x80);
  return new Uint8Array(jpeg.encode({ data, width, height }, 70).data);
}
