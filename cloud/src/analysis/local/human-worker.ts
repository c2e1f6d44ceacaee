/**
 * The worker thread that holds the face model (~300 MB, CPU-bound) away from the caller's event
 * loop. Protocol: the parent posts { id, bytes } one at a time; the worker answers { id, ok: true,
 * detections } or { id, ok: false, kind, message }. The model loads on the first request.
 */
import { parentPort } from 'node:worker_threads';
import { UnanalyzablePhotoError } from '../face-analyzer.js';
import { type DecodedPhoto, decodePhoto } from './decode-photo.js';
import { type HumanFaceModel, loadHumanFaceModel } from './human-face-model.js';
import type { HumanDetections } from './map-human-result.js';

export interface WorkerRequest {
  id: number;
  /** Empty for a warm-up: load the model and run it once on a blank frame, answering no faces. */
  bytes: Uint8Array;
}

/** A small grey frame: the first detection compiles the WASM kernels, which costs seconds. */
function blankFrame(): DecodedPhoto {
  const width = 320;
  const height = 240;
  return { width, height, rgba: new Uint8Array(width * height * 4).fill(128) };
}

export type WorkerResponse =
  | { id: number; ok: true; detections: HumanDetections; loadMs: number | null; detectMs: number }
  | { id: number; ok: false; kind: 'unanalyzable' | 'unavailable'; message: string };

let model: Promise<HumanFaceModel> | undefined;

async function handle({ id, bytes }: WorkerRequest): Promise<WorkerResponse> {
  let loadMs: number | null = null;
  try {
    if (!model) {
      const t0 = performance.now();
      model = loadHumanFaceModel();
      await model;
      loadMs = performance.now() - t0;
    }
  } catch (err) {
    model = undefined; // the next request tries again
    return {
      id,
      ok: false,
      kind: 'unavailable',
      message: `local face model failed to load: ${message(err)}`,
    };
  }
  try {
    const photo = bytes.length === 0 ? blankFrame() : decodePhoto(bytes);
    const t0 = performance.now();
    const detections = await (await model).detect(photo);
    return { id, ok: true, detections, loadMs, detectMs: performance.now() - t0 };
  } catch (err) {
    if (err instanceof UnanalyzablePhotoError)
      return { id, ok: false, kind: 'unanalyzable', message: err.reason };
    return { id, ok: false, kind: 'unavailable', message: `local face model failed: ${message(err)}` };
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const port = parentPort;
if (port) {
  port.on('message', (req: WorkerRequest) => {
    void handle(req).then((res) => port.postMessage(res));
  });
}
