import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { CameraSettings } from './camera-port.js';
import { decodePhoto, encodeJpeg, letterbox, orient } from './photo-canvas.js';

/**
 * Worker entry: renders one camera-sized JPEG frame for the mock camera. jpeg-js and pngjs
 * work in plain JS arrays, and one 1280×720 encode grows a heap by tens of MB; done here, that
 * memory goes away with the worker instead of staying in the agent's heap.
 */
const { photo, settings } = workerData as { photo: string; settings: CameraSettings };
const source = decodePhoto(await readFile(photo));
const frame = encodeJpeg(
  orient(letterbox(source, settings.width, settings.height), settings),
  settings.quality,
);
parentPort?.postMessage(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
