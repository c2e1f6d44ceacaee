import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Camera,
  CameraExitError,
  CameraOutputError,
  type CameraSettings,
  CameraTimeoutError,
  checkJpeg,
  MockCamera,
  type MockCameraFailure,
  RpicamCamera,
} from '@coffee-iot/device';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCameraMode, FakeCameraPrograms } from './fake-camera-program.js';

/**
 * One contract for every Camera: the real adapter running a fake rpicam-still, and the mock
 * camera with the matching injected failure. Mock mode is only useful if it fails like the
 * real thing.
 */

type Behaviour = Exclude<FakeCameraMode, 'silent'>;
type MakeCamera = (behaviour: Behaviour, settings?: Partial<CameraSettings>) => Camera;

const MOCK_FAILURE: Record<Behaviour, MockCameraFailure | undefined> = {
  ok: undefined,
  hang: 'timeout',
  fail: 'exit',
  garbage: 'garbage',
  empty: 'empty',
};

const SHORT = { timeoutMs: 300, settleMs: 0 } as const;

let fakes: FakeCameraPrograms;

beforeAll(async () => {
  fakes = await FakeCameraPrograms.create(['rpicam-still']);
});

afterAll(async () => {
  await fakes.remove();
});

const adapters: Array<[string, MakeCamera]> = [
  [
    'RpicamCamera (fake rpicam-still)',
    (behaviour, settings) => new RpicamCamera({ env: fakes.env(behaviour), settings }),
  ],
  [
    'MockCamera',
    (behaviour, settings) => new MockCamera({ fail: MOCK_FAILURE[behaviour], settings, maxCachedPhotos: 1 }),
  ],
];

describe.each(adapters)('Camera contract: %s', (_name, makeCamera) => {
  let outbox: string;
  let destination: string;

  beforeEach(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'camera-contract-'));
    destination = join(outbox, 'event-1.jpg');
  });

  afterEach(async () => {
    await rm(outbox, { recursive: true, force: true });
  });

  it('writes a valid JPEG to the destination and nothing else', async () => {
    const photo = await makeCamera('ok').capture(destination);

    const bytes = await readFile(destination);
    const check = checkJpeg(bytes);
    expect(check.ok).toBe(true);
    expect(photo.path).toBe(destination);
    expect(photo.bytes).toBe(bytes.length);
    expect(check.ok && { width: check.width, height: check.height }).toEqual({
      width: photo.width,
      height: photo.height,
    });
    expect(photo.takenAtMs).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(await readdir(outbox)).toEqual(['event-1.jpg']);
  });

  it('replaces an existing destination file whole', async () => {
    await writeFile(destination, 'older photo');
    await makeCamera('ok').capture(destination);
    expect(checkJpeg(await readFile(destination)).ok).toBe(true);
  });

  const failures: Array<[Behaviour, string, new (...args: never[]) => Error]> = [
    ['hang', 'hangs past the timeout', CameraTimeoutError],
    ['fail', 'exits non-zero', CameraExitError],
    ['garbage', 'writes garbage', CameraOutputError],
    ['empty', 'writes an empty file', CameraOutputError],
  ];
  for (const [behaviour, what, errorClass] of failures) {
    it(`rejects with ${errorClass.name} when the camera ${what}, leaving the destination and no temp file`, async () => {
      await writeFile(destination, 'older photo');
      await expect(makeCamera(behaviour, SHORT).capture(destination)).rejects.toBeInstanceOf(errorClass);
      expect(await readdir(outbox)).toEqual(['event-1.jpg']);
      expect(await readFile(destination, 'utf8')).toBe('older photo');
    });
  }

  it('passes on what the camera said when it exits non-zero', async () => {
    const error = await makeCamera('fail')
      .capture(destination)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraExitError);
    expect((error as CameraExitError).exitCode).toBe(255);
    expect((error as CameraExitError).stderrTail.at(-1)).toMatch(/no cameras available/);
  });

  it('gives up after timeoutMs, not later', async () => {
    const started = Date.now();
    const error = await makeCamera('hang', SHORT)
      .capture(destination)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraTimeoutError);
    expect((error as CameraTimeoutError).timeoutMs).toBe(300);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops when aborted and rejects with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('agent stopping');
    const capture = makeCamera('hang', { timeoutMs: 20_000, settleMs: 0 }).capture(
      destination,
      controller.signal,
    );
    setTimeout(() => controller.abort(reason), 150);
    await expect(capture).rejects.toBe(reason);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('creates nothing in a directory that does not exist', async () => {
    const missing = join(outbox, 'missing', 'x.jpg');
    await expect(makeCamera('ok').capture(missing)).rejects.toBeInstanceOf(CameraOutputError);
    await mkdir(join(outbox, 'missing'));
    expect(await readdir(join(outbox, 'missing'))).toEqual([]);
  });
});
