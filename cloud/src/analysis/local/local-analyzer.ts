import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  AnalyzerUnavailableError,
  type FaceAnalysis,
  type FaceAnalyzer,
  type PhotoLocation,
  UnanalyzablePhotoError,
} from '../face-analyzer.js';
import type { WorkerRequest, WorkerResponse } from './human-worker.js';
import { humanFaceDetails, mapHumanResult } from './map-human-result.js';

export interface LocalFaceAnalyzerOptions {
  readPhoto: (bucket: string, key: string) => Promise<Uint8Array>;
}

export interface LocalFaceAnalyzer extends FaceAnalyzer {
  /** Stops the worker (and frees the model); a later analyze starts it again. */
  close(): Promise<void>;
  /**
   * Loads the model and runs it once on a blank frame, in the background worker, so the first
   * real photo does not pay the seconds of loading. Rejects with AnalyzerUnavailableError.
   */
  warmUp(): Promise<void>;
}

/**
 * Starts the worker. Built, its file is the sibling .js. From sources (vitest, the
 * `coffee-iot-source` condition) it is the sibling .ts, which Node 20 cannot run, and `--import
 * tsx` in a worker's execArgv does not take effect before the entry loads (Node 20): so a tiny
 * eval'd bootstrap registers tsx's hooks (tsx is a devDependency, present wherever sources run)
 * and then imports the .ts worker.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./human-worker.js', import.meta.url));
  const entry = new URL('./human-worker.ts', import.meta.url).href;
  const tsxApiCjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(path.join(path.dirname(tsxApiCjs), 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv: ['--conditions=coffee-iot-source'] });
}

/**
 * The `local` analyzer: @vladmandic/human on the tfjs WASM backend in a worker thread, loaded on
 * first use, one photo at a time (calls queue up behind each other).
 */
export function createLocalFaceAnalyzer({ readPhoto }: LocalFaceAnalyzerOptions): LocalFaceAnalyzer {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }>();
  let queue: Promise<unknown> = Promise.resolve();

  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  function start(): Worker {
    if (worker) return worker;
    const w = startWorker();
    w.on('message', (res: WorkerResponse) => {
      const p = pending.get(res.id);
      pending.delete(res.id);
      p?.resolve(res);
    });
    w.on('error', (err) => {
      if (worker === w) worker = undefined;
      failAll(new AnalyzerUnavailableError(`local face model worker failed: ${err.message}`, { cause: err }));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new AnalyzerUnavailableError(`local face model worker exited (code ${code})`));
    });
    worker = w;
    return w;
  }

  function request(bytes: Uint8Array): Promise<WorkerResponse> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const req: WorkerRequest = { id, bytes };
      start().postMessage(req);
    });
  }

  async function analyzeOne(photo: PhotoLocation): Promise<FaceAnalysis> {
    const bytes = await readPhoto(photo.bucket, photo.key);
    const res = await request(bytes);
    if (!res.ok) {
      if (res.kind === 'unanalyzable') throw new UnanalyzablePhotoError(res.message);
      throw new AnalyzerUnavailableError(res.message);
    }
    return {
      ...mapHumanResult(res.detections),
      analyzer: 'local',
      faceDetails: humanFaceDetails(res.detections),
    };
  }

  return {
    name: 'local',
    analyze(photo) {
      const run = queue.then(() => analyzeOne(photo));
      queue = run.catch(() => undefined);
      return run;
    },
    warmUp() {
      const run = queue.then(async () => {
        const res = await request(new Uint8Array());
        if (!res.ok) throw new AnalyzerUnavailableError(res.message);
      });
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
