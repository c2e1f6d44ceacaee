import type { DecodedPhoto } from './decode-photo.js';
import type { HumanDetections, HumanFace } from './map-human-result.js';

/** A square region of the frame, in pixels. */
export interface Tile {
  x: number;
  y: number;
  size: number;
}

/** Up to this long-to-short side ratio a frame is detected whole: the squash is harmless. */
const MAX_WHOLE_RATIO = 1.2;
/** Boxes overlapping more than this (intersection over the smaller box) are one face. */
const SAME_FACE_OVERLAP = 0.5;

/**
 * Where to look for faces. human's face detector (BlazeFace) squashes any frame into a 256×256
 * square, so a 16:9 camera frame narrows faces by 44 %: a face in profile then scores 0.21 where
 * the same face in a square crop scores 1.0. Wide or tall frames are therefore covered by
 * overlapping squares as tall (or wide) as the frame: three for 16:9, more for wider.
 */
export function squareTiles(width: number, height: number): Tile[] {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (long / short <= MAX_WHOLE_RATIO) return [{ x: 0, y: 0, size: -1 }];
  const count = Math.ceil(long / short) + 1;
  const step = (long - short) / (count - 1);
  return Array.from({ length: count }, (_, index) => {
    const offset = Math.round(index * step);
    return width >= height ? { x: offset, y: 0, size: short } : { x: 0, y: offset, size: short };
  });
}

/** The tile's pixels as their own photo (RGBA rows copied); size -1 is the whole frame. */
export function cropTile(photo: DecodedPhoto, tile: Tile): DecodedPhoto {
  if (tile.size < 0) return photo;
  const rgba = new Uint8Array(tile.size * tile.size * 4);
  for (let row = 0; row < tile.size; row += 1) {
    const from = ((tile.y + row) * photo.width + tile.x) * 4;
    rgba.set(photo.rgba.subarray(from, from + tile.size * 4), row * tile.size * 4);
  }
  return { width: tile.size, height: tile.size, rgba };
}

/**
 * One frame's detections from its tiles' detections: boxes moved back into frame coordinates,
 * a face seen by two overlapping tiles kept once (its best-scoring sighting), gestures following
 * their face.
 */
export function mergeTileDetections(
  frame: { width: number; height: number },
  tiles: readonly { tile: Tile; detections: HumanDetections }[],
): HumanDetections {
  const sightings: { face: HumanFace; gestures: string[] }[] = [];
  for (const { tile, detections } of tiles) {
    const dx = tile.size < 0 ? 0 : tile.x;
    const dy = tile.size < 0 ? 0 : tile.y;
    detections.faces.forEach((face, index) => {
      const [x, y, w, h] = face.box;
      sightings.push({
        face: { ...face, box: [x + dx, y + dy, w, h] },
        gestures: detections.gestures.filter((g) => g.face === index).map((g) => g.gesture),
      });
    });
  }
  sightings.sort((a, b) => b.face.score - a.face.score);
  const kept: typeof sightings = [];
  for (const sighting of sightings) {
    if (!kept.some((other) => overlap(other.face.box, sighting.face.box) > SAME_FACE_OVERLAP))
      kept.push(sighting);
  }
  return {
    width: frame.width,
    height: frame.height,
    faces: kept.map((s) => s.face),
    gestures: kept.flatMap((s, face) => s.gestures.map((gesture) => ({ face, gesture }))),
  };
}

/** Intersection area over the smaller box's area (0 when apart, 1 when one holds the other). */
export function overlap(a: HumanFace['box'], b: HumanFace['box']): number {
  const width = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const height = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (width <= 0 || height <= 0) return 0;
  const smaller = Math.min(a[2] * a[3], b[2] * b[3]);
  return smaller > 0 ? (width * height) / smaller : 0;
}
