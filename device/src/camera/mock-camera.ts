import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Clock, delay, systemClock, systemTimers, type Timers } from '../ports/clock.js';
import { mulberry32, type Random } from '../sensors/prng.js';
import {
  type Camera,
  CameraExitError,
  type CameraSettings,
  CameraTimeoutError,
  CameraUnavailableError,
  type CapturedPhoto,
  resolveCameraSettings,
} from './camera-port.js';
import { checkJpeg } from './jpeg-check.js';
import { decodePhoto, encodeJpeg, letterbox, orient } from './photo-canvas.js';
import { commitPhoto, createTempPhoto, describe, removeQuietly } from './photo-file.js';

/** How an injected failure shows, mirroring what the real camera does. */
export type MockCameraFailure =
  /** Waits `timeoutMs` (injected timers), then CameraTimeoutError, as a hung rpicam-still. */
  | 'timeout'
  /** CameraExitError with rpicam-still's "no cameras available" stderr. */
  | 'exit'
  /** Writes text instead of a JPEG: CameraOutputError. */
  | 'garbage'
  /** Writes nothing: CameraOutputError. */
  | 'empty'
  /** CameraUnavailableError, as with no camera program installed. */
  | 'unavailable';

export interface MockCameraOptions {
  /** Same settings as the real camera; width×height is the JPEG's size. Default 1280×720. */
  settings?: Partial<CameraSettings>;
  /** Directory of JPEG/PNG photos to serve. Default: the demo photos shipped in device/assets/demo-photos. */
  mockDir?: string;
  /** `round-robin` (default) walks the photos in name order; `random` picks with a seeded PRNG. */
  order?: 'round-robin' | 'random';
  /** Seed for `random`. Default 1. */
  seed?: number;
  /** A failure for every capture, or per 1-based capture number (undefined = succeed). */
  fail?: MockCameraFailure | ((captureNumber: number) => MockCameraFailure | undefined);
  /** Simulated shutter time before the photo is written. Default 0 (settleMs is not simulated). */
  delayMs?: number;
  /** Encoded frames kept (one JPEG each, ~100–250 KB at 1280×720). Default 16. */
  maxCachedPhotos?: number;
  timers?: Timers;
  clock?: Clock;
}

const MOCK_COMMAND = 'mock-camera';
const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/**
 * The directory of demo photos: beside `src/` and `dist/` (device/assets/demo-photos), or
 * beside a bundled agent (assets/demo-photos next to the bundle file).
 */
export function defaultDemoPhotoDir(): string {
  // dist/demo-photos: the build's camera-sized JPEGs (served as they are); then the PNG sources.
  const candidates = ['../demo-photos/', '../../assets/demo-photos/', './assets/demo-photos/'].map(
    (relative) => fileURLToPath(new URL(relative, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(dir)) ?? (candidates[0] as string);
}

/**
 * A camera for laptops and tests that writes real camera-sized JPEGs: each capture takes the
 * next photo from `mockDir`, letterboxes it onto a grey frame (with the configured rotation
 * and flips) and encodes it with jpeg-js. The settings are fixed per instance and jpeg-js is
 * deterministic, so re-encoding a photo would give the same bytes again: the encoded frame is
 * what is cached, and a warm capture costs a file write instead of a ~100 ms encode. It goes
 * through the same temp file, validation, fsync and rename as the real camera, and can be
 * told to fail the way the real one does.
 */
export class MockCamera implements Camera {
  readonly name = 'mock';
  readonly settings: Readonly<CameraSettings>;
  readonly mockDir: string;
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly maxCached: number;
  private readonly frames = new Map<string, Promise<Buffer>>();
  private photos: Promise<string[]> | undefined;
  private captures = 0;
  private picks = 0;

  constructor(private readonly options: MockCameraOptions = {}) {
    this.settings = Object.freeze(resolveCameraSettings(options.settings));
    this.mockDir = options.mockDir ?? defaultDemoPhotoDir();
    this.timers = options.timers ?? systemTimers;
    this.clock = options.clock ?? systemClock;
    this.random = mulberry32(options.seed ?? 1);
    this.maxCached = Math.max(1, options.maxCachedPhotos ?? 16);
  }

  async capture(destinationPath: string, signal?: AbortSignal): Promise<CapturedPhoto> {
    signal?.throwIfAborted();
    this.captures += 1;
    const failure = this.failureFor(this.captures);
    if (failure === 'unavailable') {
      throw new CameraUnavailableError('mock camera: injected failure (no camera program)');
    }
    const photo = failure ? undefined : await this.nextPhoto();
    const temp = await createTempPhoto(destinationPath);
    let takenAtMs: number;
    try {
      await this.write(temp.path, failure, photo, signal);
      takenAtMs = this.clock.now();
    } catch (error) {
      await removeQuietly(temp.path);
      throw error;
    }
    const written = await commitPhoto(temp, destinationPath);
    return { path: destinationPath, ...written, takenAtMs };
  }

  private async write(
    tempPath: string,
    failure: MockCameraFailure | undefined,
    photo: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const { timeoutMs } = this.settings;
    switch (failure) {
      case 'timeout':
        // Like a wedged rpicam-still: something was started, nothing usable came out.
        await writeFile(tempPath, Buffer.from([0xff, 0xd8, 0xff]));
        await delay(this.timers, timeoutMs, signal);
        throw new CameraTimeoutError(MOCK_COMMAND, timeoutMs);
      case 'exit':
        throw new CameraExitError(MOCK_COMMAND, 255, null, ['ERROR: *** no cameras available ***']);
      case 'garbage':
        await writeFile(tempPath, 'mock camera: injected garbage, not a JPEG\n');
        return;
      case 'empty':
        return;
      default: {
        const delayMs = this.options.delayMs ?? 0;
        if (delayMs > 0) await delay(this.timers, delayMs, signal);
        const frame = await this.frameFor(photo as string);
        signal?.throwIfAborted();
        await writeFile(tempPath, frame);
      }
    }
  }

  private failureFor(captureNumber: number): MockCameraFailure | undefined {
    const { fail } = this.options;
    return typeof fail === 'function' ? fail(captureNumber) : fail;
  }

  private async nextPhoto(): Promise<string> {
    const photos = await this.listPhotos();
    const index =
      this.options.order === 'random'
        ? Math.floor(this.random() * photos.length)
        : this.picks % photos.length;
    this.picks += 1;
    return photos[index] as string;
  }

  /** The photo files, in name order; listed once (a failed listing is retried next capture). */
  private listPhotos(): Promise<string[]> {
    if (!this.photos) {
      const listing = this.readPhotoDir();
      this.photos = listing;
      listing.catch(() => {
        if (this.photos === listing) this.photos = undefined;
      });
    }
    return this.photos;
  }

  private async readPhotoDir(): Promise<string[]> {
    let names: string[];
    try {
      const entries = await readdir(this.mockDir, { withFileTypes: true });
      names = entries
        .filter((entry) => entry.isFile() && PHOTO_EXTENSIONS.has(extname(entry.name).toLowerCase()))
        .map((entry) => entry.name)
        .sort();
    } catch (cause) {
      throw new CameraUnavailableError(
        `mock camera: photo directory ${this.mockDir} cannot be read (${describe(cause)}); check camera.mockDir`,
        { cause },
      );
    }
    if (names.length === 0) {
      throw new CameraUnavailableError(
        `mock camera: no .jpg, .jpeg or .png files in ${this.mockDir}; check camera.mockDir`,
      );
    }
    return names.map((name) => join(this.mockDir, name));
  }

  /** The camera-sized, oriented JPEG frame for a photo, from a small LRU cache. */
  private frameFor(photo: string): Promise<Buffer> {
    const cached = this.frames.get(photo);
    if (cached) {
      this.frames.delete(photo);
      this.frames.set(photo, cached);
      return cached;
    }
    const preparing = this.prepareFrame(photo);
    this.frames.set(photo, preparing);
    preparing.catch(() => this.frames.delete(photo));
    while (this.frames.size > this.maxCached) {
      const oldest = this.frames.keys().next().value as string;
      this.frames.delete(oldest);
    }
    return preparing;
  }

  private async prepareFrame(photo: string): Promise<Buffer> {
    let source: ReturnType<typeof decodePhoto>;
    try {
      const bytes = await readFile(photo);
      // Already what the camera would write (a JPEG of the frame size, nothing to turn): serve
      // it as it is. Encoding in the agent costs ~200 ms and tens of MB of heap per photo.
      const { rotation, hflip, vflip, width, height } = this.settings;
      const jpeg = checkJpeg(bytes);
      if (jpeg.ok && jpeg.width === width && jpeg.height === height && rotation === 0 && !hflip && !vflip) {
        return bytes;
      }
      source = decodePhoto(bytes);
    } catch (cause) {
      throw new CameraUnavailableError(`mock camera: cannot use ${photo} (${describe(cause)})`, { cause });
    }
    const { width, height, quality } = this.settings;
    return encodeJpeg(orient(letterbox(source, width, height), this.settings), quality);
  }
}
