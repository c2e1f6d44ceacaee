import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TimerHandle, Timers } from '../ports/clock.js';
import {
  CameraExitError,
  CameraOutputError,
  CameraSettingsError,
  CameraTimeoutError,
  CameraUnavailableError,
} from './camera-port.js';
import { defaultDemoPhotoDir, MockCamera, type MockCameraFailure } from './mock-camera.js';

type Rgb = [number, number, number];
const RED: Rgb = [220, 30, 30];
const GREEN: Rgb = [30, 200, 30];
const BLUE: Rgb = [30, 30, 220];
const GREY: Rgb = [128, 128, 128];

let work: string;
let out: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'mock-camera-'));
  out = join(work, 'outbox');
  await mkdir(out);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Pixels as a function of position, RGBA. */
function paint(width: number, height: number, colour: (x: number, y: number) => Rgb, alpha = 255): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      data.set([r, g, b, alpha], (y * width + x) * 4);
    }
  }
  return data;
}

function png(width: number, height: number, colour: (x: number, y: number) => Rgb, alpha = 255): Buffer {
  const image = new pngjs.PNG({ width, height });
  image.data = paint(width, height, colour, alpha);
  return pngjs.PNG.sync.write(image);
}

function decode(bytes: Buffer) {
  const image = jpeg.decode(bytes, { useTArray: true });
  const at = (x: number, y: number): Rgb => {
    const i = (y * image.width + x) * 4;
    return [image.data[i] as number, image.data[i + 1] as number, image.data[i + 2] as number];
  };
  return { width: image.width, height: image.height, at };
}

function expectColour(actual: Rgb, expected: Rgb, tolerance = 12) {
  for (let c = 0; c < 3; c++)
    expect(Math.abs((actual[c] as number) - (expected[c] as number))).toBeLessThan(tolerance);
}

/** Timers that fire at once and remember what they were asked for: no waiting in unit tests. */
function instantTimers() {
  const requested: number[] = [];
  const timers: Timers = {
    setTimeout: (callback, ms) => {
      requested.push(ms);
      return setImmediate(callback) as unknown as TimerHandle;
    },
    clearTimeout: (handle) => clearImmediate(handle as unknown as NodeJS.Immediate),
  };
  return { timers, requested };
}

/** Timers that never fire: the capture waits until aborted. */
const stoppedTimers: Timers = {
  setTimeout: () => setTimeout(() => undefined, 0) as TimerHandle,
  clearTimeout: () => undefined,
};

async function captureBytes(camera: MockCamera, name: string): Promise<Buffer> {
  const photo = await camera.capture(join(out, name));
  return readFile(photo.path);
}

describe('MockCamera', () => {
  it('writes a real 1280×720 JPEG, by default from the shipped demo photos', async () => {
    const camera = new MockCamera({ clock: { now: () => 1_700_000_000_000 } });
    expect(camera.mockDir).toBe(defaultDemoPhotoDir());

    const photo = await camera.capture(join(out, 'event-1.jpg'));

    const bytes = await readFile(join(out, 'event-1.jpg'));
    expect(photo).toEqual({
      path: join(out, 'event-1.jpg'),
      bytes: bytes.length,
      width: 1280,
      height: 720,
      takenAtMs: 1_700_000_000_000,
    });
    const image = decode(bytes);
    expect([image.width, image.height]).toEqual([1280, 720]);
    // The square astronaut portrait is letterboxed: grey bars left and right.
    expectColour(image.at(10, 360), GREY);
    expectColour(image.at(1270, 360), GREY);
    expect(await readdir(out)).toEqual(['event-1.jpg']);
  });

  it('honours the configured size', async () => {
    const camera = new MockCamera({ settings: { width: 640, height: 480, quality: 50 } });
    const image = decode(await captureBytes(camera, 'a.jpg'));
    expect([image.width, image.height]).toEqual([640, 480]);
  });

  it('walks the photos round-robin in name order', async () => {
    const camera = new MockCamera();
    const shots = [];
    for (let i = 0; i < 4; i++) shots.push(await captureBytes(camera, `${i}.jpg`));
    const [first, second, third, fourth] = shots as [Buffer, Buffer, Buffer, Buffer];
    expect(first.equals(second) || second.equals(third) || first.equals(third)).toBe(false);
    expect(fourth.equals(first)).toBe(true);
  });

  it('picks the same random sequence for the same seed', async () => {
    const sequence = async (seed: number) => {
      const camera = new MockCamera({ order: 'random', seed, settings: { width: 64, height: 48 } });
      const sizes = [];
      for (let i = 0; i < 6; i++) sizes.push((await camera.capture(join(out, `${seed}-${i}.jpg`))).bytes);
      return sizes;
    };
    const first = await sequence(7);
    expect(await sequence(7)).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('serves PNG and JPEG files from mockDir, letterboxed on grey, ignoring other files', async () => {
    const photos = join(work, 'photos');
    await mkdir(photos);
    // A wide PNG (bars above and below) and a tall JPEG (bars left and right).
    await writeFile(
      join(photos, 'a-red.png'),
      png(200, 100, () => RED),
    );
    const tall = jpeg.encode({ width: 50, height: 100, data: paint(50, 100, () => BLUE) }, 95).data;
    await writeFile(join(photos, 'b-blue.JPG'), tall);
    await writeFile(join(photos, 'notes.txt'), 'not a photo');
    const camera = new MockCamera({ mockDir: photos, settings: { width: 320, height: 240 } });

    const wide = decode(await captureBytes(camera, '1.jpg'));
    expectColour(wide.at(160, 120), RED);
    expectColour(wide.at(160, 5), GREY);
    expectColour(wide.at(160, 234), GREY);

    const high = decode(await captureBytes(camera, '2.jpg'));
    expectColour(high.at(160, 120), BLUE);
    expectColour(high.at(5, 120), GREY);
    expectColour(high.at(314, 120), GREY);

    const again = decode(await captureBytes(camera, '3.jpg'));
    expectColour(again.at(160, 120), RED);
  });

  it('serves a JPEG that is already frame-sized and upright byte for byte, and re-renders it otherwise', async () => {
    const photos = join(work, 'photos');
    await mkdir(photos);
    const frame = jpeg.encode({ width: 320, height: 240, data: paint(320, 240, () => BLUE) }, 70).data;
    await writeFile(join(photos, 'frame.jpg'), frame);

    const asIs = new MockCamera({ mockDir: photos, settings: { width: 320, height: 240 } });
    expect((await captureBytes(asIs, 'same.jpg')).equals(frame)).toBe(true);

    const turned = new MockCamera({ mockDir: photos, settings: { width: 320, height: 240, rotation: 180 } });
    const rendered = await captureBytes(turned, 'turned.jpg');
    expect(rendered.equals(frame)).toBe(false);
    expectColour(decode(rendered).at(160, 120), BLUE);
  });

  it('composites transparent pixels onto the grey', async () => {
    const photos = join(work, 'photos');
    await mkdir(photos);
    await writeFile(
      join(photos, 'clear.png'),
      png(64, 48, () => RED, 0),
    );
    const camera = new MockCamera({ mockDir: photos, settings: { width: 64, height: 48 } });
    expectColour(decode(await captureBytes(camera, 'a.jpg')).at(32, 24), GREY);
  });

  it('applies rotation and flips like the camera would', async () => {
    const photos = join(work, 'photos');
    await mkdir(photos);
    // Left half red, right half green, top rows blue.
    await writeFile(
      join(photos, 'quadrants.png'),
      png(64, 64, (x, y) => (y < 16 ? BLUE : x < 32 ? RED : GREEN)),
    );
    const shoot = async (transform: { rotation?: 0 | 180; hflip?: boolean; vflip?: boolean }) => {
      const camera = new MockCamera({ mockDir: photos, settings: { width: 64, height: 64, ...transform } });
      const image = decode(
        await captureBytes(camera, `${JSON.stringify(transform).length}-${Math.random()}.jpg`),
      );
      return { left: image.at(8, 40), top: image.at(32, 4), bottom: image.at(32, 60) };
    };

    const upright = await shoot({});
    expectColour(upright.left, RED);
    expectColour(upright.top, BLUE);

    const turned = await shoot({ rotation: 180 });
    expectColour(turned.left, GREEN);
    expectColour(turned.bottom, BLUE);

    const mirrored = await shoot({ hflip: true });
    expectColour(mirrored.left, GREEN);
    expectColour(mirrored.top, BLUE);

    const flipped = await shoot({ vflip: true });
    expectColour(flipped.bottom, BLUE);

    // Rotating 180° and flipping both ways cancels out.
    const both = await shoot({ rotation: 180, hflip: true, vflip: true });
    expectColour(both.left, RED);
    expectColour(both.top, BLUE);
  });

  it('keeps serving correct photos with a cache smaller than the photo set', async () => {
    const small = { width: 64, height: 48 };
    const cached = new MockCamera({ settings: small });
    const tiny = new MockCamera({ settings: small, maxCachedPhotos: 1 });
    for (let i = 0; i < 5; i++) {
      expect((await captureBytes(tiny, `t${i}.jpg`)).equals(await captureBytes(cached, `c${i}.jpg`))).toBe(
        true,
      );
    }
  });

  describe('injected failures', () => {
    const cases: Array<[MockCameraFailure, new (...args: never[]) => Error]> = [
      ['exit', CameraExitError],
      ['garbage', CameraOutputError],
      ['empty', CameraOutputError],
      ['unavailable', CameraUnavailableError],
    ];
    for (const [failure, errorClass] of cases) {
      it(`'${failure}' rejects with ${errorClass.name}, leaves no temp file and keeps the destination`, async () => {
        const destination = join(out, 'event.jpg');
        await writeFile(destination, 'previous content');
        const camera = new MockCamera({ fail: failure });
        await expect(camera.capture(destination)).rejects.toBeInstanceOf(errorClass);
        expect(await readdir(out)).toEqual(['event.jpg']);
        expect(await readFile(destination, 'utf8')).toBe('previous content');
      });
    }

    it("'exit' carries the stderr the real program prints without a camera", async () => {
      const error = await new MockCamera({ fail: 'exit' }).capture(join(out, 'x.jpg')).catch((e) => e);
      expect(error).toBeInstanceOf(CameraExitError);
      expect((error as CameraExitError).exitCode).toBe(255);
      expect((error as CameraExitError).stderrTail.join('\n')).toMatch(/no cameras available/);
    });

    it("'timeout' waits timeoutMs on the injected timers, then rejects with CameraTimeoutError", async () => {
      const { timers, requested } = instantTimers();
      const camera = new MockCamera({ fail: 'timeout', timers, settings: { timeoutMs: 4321 } });
      const error = await camera.capture(join(out, 'x.jpg')).catch((e) => e);
      expect(error).toBeInstanceOf(CameraTimeoutError);
      expect((error as CameraTimeoutError).timeoutMs).toBe(4321);
      expect(requested).toEqual([4321]);
      expect(await readdir(out)).toEqual([]);
    });

    it('fails only the captures the hook names, and failures do not skip photos', async () => {
      const small = { width: 64, height: 48 };
      const reference = new MockCamera({ settings: small });
      const camera = new MockCamera({
        settings: small,
        fail: (n) => (n === 2 ? 'exit' : undefined),
      });
      const first = await captureBytes(camera, '1.jpg');
      await expect(camera.capture(join(out, '2.jpg'))).rejects.toBeInstanceOf(CameraExitError);
      const third = await captureBytes(camera, '3.jpg');
      expect(first.equals(await captureBytes(reference, 'r1.jpg'))).toBe(true);
      expect(third.equals(await captureBytes(reference, 'r2.jpg'))).toBe(true);
    });
  });

  describe('abort', () => {
    it('rejects at once with the reason when the signal is already aborted', async () => {
      const reason = new Error('shutting down');
      await expect(new MockCamera().capture(join(out, 'x.jpg'), AbortSignal.abort(reason))).rejects.toBe(
        reason,
      );
      expect(await readdir(out)).toEqual([]);
    });

    it('stops a capture in progress and removes its temp file', async () => {
      const controller = new AbortController();
      const camera = new MockCamera({ fail: 'timeout', timers: stoppedTimers });
      const capture = camera.capture(join(out, 'x.jpg'), controller.signal);
      // The temp file appears once the capture is under way.
      await expect.poll(async () => (await readdir(out)).length).toBe(1);
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(capture).rejects.toBe(reason);
      expect(await readdir(out)).toEqual([]);
    });
  });

  describe('misconfiguration', () => {
    it('says so when mockDir holds no photos', async () => {
      const empty = join(work, 'empty');
      await mkdir(empty);
      await writeFile(join(empty, 'readme.txt'), 'hi');
      const error = await new MockCamera({ mockDir: empty }).capture(join(out, 'x.jpg')).catch((e) => e);
      expect(error).toBeInstanceOf(CameraUnavailableError);
      expect((error as Error).message).toMatch(/no \.jpg, \.jpeg or \.png files in .*camera\.mockDir/);
    });

    it('says so when mockDir does not exist', async () => {
      const camera = new MockCamera({ mockDir: join(work, 'missing') });
      await expect(camera.capture(join(out, 'x.jpg'))).rejects.toThrow(/cannot be read/);
    });

    it('names a photo it cannot decode', async () => {
      const photos = join(work, 'photos');
      await mkdir(photos);
      await writeFile(join(photos, 'broken.png'), 'not really a png');
      const camera = new MockCamera({ mockDir: photos });
      await expect(camera.capture(join(out, 'x.jpg'))).rejects.toThrow(/cannot use .*broken\.png/);
      expect(await readdir(out)).toEqual([]);
    });

    it('reports a destination directory that does not exist', async () => {
      const camera = new MockCamera();
      const error = await camera.capture(join(work, 'nowhere', 'x.jpg')).catch((e) => e);
      expect(error).toBeInstanceOf(CameraOutputError);
      expect((error as Error).message).toMatch(/cannot create a temp file in .*nowhere/);
    });

    it('rejects invalid settings when constructed', () => {
      expect(() => new MockCamera({ settings: { quality: 0 } })).toThrow(CameraSettingsError);
    });
  });
});
