import { describe, expect, it } from 'vitest';
import type { HumanDetections, HumanFace } from './map-human-result.js';
import { cropTile, mergeTileDetections, overlap, squareTiles } from './square-tiles.js';

function face(box: HumanFace['box'], score: number): HumanFace {
  return { score, boxScore: score, faceScore: score, box, hasMesh: true, age: 30, emotion: [] };
}

function detections(faces: HumanFace[], gestures: HumanDetections['gestures'] = []): HumanDetections {
  return { width: 720, height: 720, faces, gestures };
}

describe('square tiles for a squashing face detector', () => {
  it('keeps a near-square frame whole', () => {
    expect(squareTiles(640, 600)).toEqual([{ x: 0, y: 0, size: -1 }]);
  });

  it('covers a 16:9 frame with three overlapping squares as tall as the frame', () => {
    expect(squareTiles(1280, 720)).toEqual([
      { x: 0, y: 0, size: 720 },
      { x: 280, y: 0, size: 720 },
      { x: 560, y: 0, size: 720 },
    ]);
  });

  it('covers a portrait frame top to bottom, the last square flush with the edge', () => {
    const tiles = squareTiles(480, 1600);
    expect(tiles.every((t) => t.x === 0 && t.size === 480)).toBe(true);
    expect(tiles.at(-1)?.y).toBe(1600 - 480);
    expect(tiles).toHaveLength(5);
  });

  it('crops the exact pixels of a tile', () => {
    const width = 4;
    const rgba = Uint8Array.from({ length: width * 2 * 4 }, (_, i) => i);
    const tile = cropTile({ width, height: 2, rgba }, { x: 2, y: 0, size: 2 });
    expect([...tile.rgba]).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]);
  });

  it('moves boxes into frame coordinates and keeps a face two tiles saw once, at its best score', () => {
    const merged = mergeTileDetections({ width: 1280, height: 720 }, [
      {
        tile: { x: 0, y: 0, size: 720 },
        detections: detections([face([500, 100, 100, 100], 0.7)], [{ face: 0, gesture: 'blink left eye' }]),
      },
      {
        tile: { x: 280, y: 0, size: 720 },
        detections: detections([face([222, 102, 96, 98], 0.98)], [{ face: 0, gesture: 'facing left' }]),
      },
      { tile: { x: 560, y: 0, size: 720 }, detections: detections([face([500, 300, 80, 80], 0.9)]) },
    ]);
    expect(merged.width).toBe(1280);
    expect(merged.faces.map((f) => [f.box, f.score])).toEqual([
      [[502, 102, 96, 98], 0.98],
      [[1060, 300, 80, 80], 0.9],
    ]);
    expect(merged.gestures).toEqual([{ face: 0, gesture: 'facing left' }]);
  });

  it('measures overlap against the smaller box', () => {
    expect(overlap([0, 0, 10, 10], [20, 20, 5, 5])).toBe(0);
    expect(overlap([0, 0, 100, 100], [10, 10, 20, 20])).toBe(1);
    expect(overlap([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(0.5);
  });
});
