import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config, Human, Result } from '@vladmandic/human';
import type { DecodedPhoto } from './decode-photo.js';
import type { HumanDetections } from './map-human-result.js';
import { cropTile, mergeTileDetections, squareTiles } from './square-tiles.js';

const require = createRequire(import.meta.url);

/** Where `@vladmandic/human` and the tfjs WASM backend lie on disk (models and .wasm ship inside). */
export function humanPaths(): { humanDir: string; modelsDir: string; wasmDir: string } {
  // The package's `exports` hides package.json and dist/human.node-wasm.js; its main entry does not.
  const humanDir = path.resolve(path.dirname(require.resolve('@vladmandic/human')), '..');
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  return { humanDir, modelsDir: path.join(humanDir, 'models'), wasmDir };
}

/**
 * Only what we map: the face detector, the face mesh (its landmarks give the blink gestures and a
 * tighter box), emotion and the age/description model. Everything else is off, and so is the
 * result cache (made for video: it would hand one still's answer to the next).
 */
function humanConfig(modelsDir: string, wasmDir: string): Partial<Config> {
  return {
    backend: 'wasm',
    // tfjs-backend-wasm reads its .wasm with fs in Node when given a file path (no trailing URL).
    wasmPath: `${wasmDir}${path.sep}`,
    modelBasePath: `${pathToFileURL(modelsDir).href}/`,
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0,
    cacheModels: false,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { enabled: true, rotation: false, maxDetected: 20, minConfidence: 0.2, return: false },
      mesh: { enabled: true },
      attention: { enabled: false },
      iris: { enabled: false },
      emotion: { enabled: true, minConfidence: 0.1 },
      description: { enabled: true },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    } as Config['face'],
    body: { enabled: false } as Config['body'],
    hand: { enabled: false } as Config['hand'],
    object: { enabled: false } as Config['object'],
    segmentation: { enabled: false } as Config['segmentation'],
    gesture: { enabled: true },
  };
}

/**
 * tfjs loads `file://` model URLs through `fetch`, which Node's fetch refuses. Rather than a local
 * HTTP server (a port, a lifecycle, a listening socket in the agent) or replacing the global fetch
 * (which would leak into everything else in the process), we register a tfjs load router for
 * `file://` that reads model.json and its weight shards straight from the package's models dir.
 */
function registerFileRouter(tf: Human['tf']): void {
  const io = tf.io as typeof import('@tensorflow/tfjs-core').io;
  // tfjs routers answer null for URLs they do not handle; its IORouter type omits that.
  const router = (url: string | string[]) => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    const jsonPath = fileURLToPath(url);
    return {
      load: async () => {
        const modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
        return io.getModelArtifactsForJSON(modelJson, async (manifest) => {
          const buffers: Buffer[] = [];
          for (const group of manifest) {
            for (const p of group.paths) buffers.push(await readFile(path.join(path.dirname(jsonPath), p)));
          }
          const all = Buffer.concat(buffers);
          const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
          return [manifest.flatMap((g) => g.weights), weightData];
        });
      },
    };
  };
  io.registerLoadRouter(router as Parameters<typeof io.registerLoadRouter>[0]);
}

export interface HumanFaceModel {
  detect(photo: DecodedPhoto): Promise<HumanDetections>;
  dispose(): void;
}

/** Loads human on the WASM backend with its models from the package. Throws with what is missing. */
export async function loadHumanFaceModel(): Promise<HumanFaceModel> {
  const { humanDir, modelsDir, wasmDir } = humanPaths();
  // Required by path: the package's `exports` map has no entry for the node-wasm build.
  const { Human: HumanClass } = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as {
    Human: new (config?: Partial<Config>) => Human;
  };
  const human = new HumanClass(humanConfig(modelsDir, wasmDir));
  registerFileRouter(human.tf);
  await human.init();
  if (human.tf.getBackend() !== 'wasm') throw new Error(`tfjs backend is ${human.tf.getBackend()}, not wasm`);
  await human.load();
  const models = human.models.loaded();
  for (const needed of ['blazeface', 'facemesh', 'emotion', 'faceres']) {
    if (!models.includes(needed)) throw new Error(`model ${needed} did not load from ${modelsDir}`);
  }
  const detectWhole = async (photo: DecodedPhoto): Promise<HumanDetections> => {
    const tf = human.tf as typeof import('@tensorflow/tfjs-core');
    const rgb = toRgb(photo);
    const tensor = tf.tensor3d(rgb, [photo.height, photo.width, 3], 'int32');
    const input = tf.expandDims(tensor, 0);
    try {
      const result: Result = await human.detect(input as never);
      if (result.error) throw new Error(result.error);
      return toDetections(result);
    } finally {
      tf.dispose([tensor, input]);
    }
  };
  return {
    async detect(photo) {
      const tiles = [];
      for (const tile of squareTiles(photo.width, photo.height)) {
        tiles.push({ tile, detections: await detectWhole(cropTile(photo, tile)) });
      }
      return mergeTileDetections(photo, tiles);
    },
    dispose() {
      human.tf.engine().disposeVariables();
    },
  };
}

function toRgb({ width, height, rgba }: DecodedPhoto): Int32Array {
  const out = new Int32Array(width * height * 3);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 3) {
    out[j] = rgba[i] ?? 0;
    out[j + 1] = rgba[i + 1] ?? 0;
    out[j + 2] = rgba[i + 2] ?? 0;
  }
  return out;
}

/** The plain, cloneable part of human's answer that the mapping needs (no meshes, no embeddings). */
function toDetections(result: Result): HumanDetections {
  return {
    width: result.width,
    height: result.height,
    faces: result.face.map((f) => ({
      score: f.score,
      boxScore: f.boxScore,
      faceScore: f.faceScore,
      box: [...f.box] as [number, number, number, number],
      hasMesh: f.mesh.length > 450,
      age: f.age ?? null,
      emotion: (f.emotion ?? []).map((e) => ({ emotion: e.emotion, score: e.score })),
    })),
    gestures: result.gesture.flatMap((g) => ('face' in g ? [{ face: g.face, gesture: g.gesture }] : [])),
  };
}
