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
  type TimerHandle,
  type Timers,
} from '@coffee-iot/device';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCameraMode, FakeCameraPrograms } from './fake-camera-program.js';

/**
 * One contract for every Camera: the real adapter running a fake rpicam-still, and the mock
 * camera with the matching injected failure. Mock mode is only useful if it fails like the
 * real thing.
 */

type Behaviour = Exclude<FakeCameraMode, 'silent'>;
type MakeCamera = (behaviour: Behaviour, settings?: Partial<CameraSettings>, timers?: Timers) => Camera;

const MOCK_FAILURE: Record<Behaviour, MockCameraFailure | undefined> = {
  ok: undefined,
  hang: 'timeout',
  fail: 'exit',
  garbage: 'garbage',
  empty: 'empty',
};

const SHORT = { timeoutMs: 300, settleMs: 0 } as const;
/** Upper bound for waiting on a camera program to get going; reached only when something is broken. */
const POLL = { timeout: 15_000, interval: 20 } as const;

/**
 * Timers the test fires by hand. A capture's deadline passes when the test says so, never
 * because a loaded machine took longer than timeoutMs to start the camera program.
 */
class HandTimers implements Timers {
  private readonly pending = new Map<TimerHandle, { callback: () => void; ms: number }>();

  setTimeout(callback: () => void, ms: number): TimerHandle {
    // An opaque token: nothing is scheduled on the real clock.
    const handle = Object.freeze({}) as unknown as TimerHandle;
    this.pending.set(handle, { callback, ms });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle);
  }

  /** Delays of the timers armed and neither fired nor cleared. */
  armed(): number[] {
    return [...this.pending.values()].map((timer) => timer.ms);
  }

  /** Fires every armed timer, as if its delay had passed. */
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.callback();
  }
}

/** The hung camera (real or mock) has written the start of a JPEG to its temp file and stopped there. */
async function hungCameraWrote(dir: string): Promise<boolean> {
  for (const name of await readdir(dir)) {
    if (name === 'event-1.jpg') continue;
    const bytes = await readFile(join(dir, name)).catch(() => Buffer.alloc(0));
    if (bytes.equals(Buffer.from([0xff, 0xd8, 0xff]))) return true;
  }
  return false;
}

/** Waits until a hung capture is under way with its deadline armed, then lets that deadline pass. */
async function expireHungCapture(timers: HandTimers, dir: string): Promise<void> {
  await expect.poll(() => timers.armed(), POLL).toEqual([SHORT.timeoutMs]);
  await expect.poll(() => hungCameraWrote(dir), POLL).toBe(true);
  timers.fireAll();
}

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
    (behaviour, settings, timers) => new RpicamCamera({ env: fakes.env(behaviour), settings, timers }),
  ],
  [
    'MockCamera',
    (behaviour, settings, timers) =>
      new MockCamera({ fail: MOCK_FAILURE[behaviour], settings, maxCachedPhotos: 1, timers }),
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
      // The deadline fires only for the hung camera: the others fail on their own, however long
      // the machine takes to run them.
      const timers = new HandTimers();
      const outcome = makeCamera(behaviour, SHORT, timers)
        .capture(destination)
        .catch((e: unknown) => e);
      if (behaviour === 'hang') await expireHungCapture(timers, outbox);
      expect(await outcome).toBeInstanceOf(errorClass);
      expect(timers.armed()).toEqual([]);
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
    const timers = new HandTimers();
    const outcome = makeCamera('hang', SHORT, timers)
      .capture(destination)
      .catch((e: unknown) => e);
    // The one deadline armed is timeoutMs, and while it has not passed the hung capture waits.
    await expect.poll(() => timers.armed(), POLL).toEqual([300]);
    await expect.poll(() => hungCameraWrote(outbox), POLL).toBe(true);
    const early = await Promise.race([outcome, new Promise((resolve) => setImmediate(resolve, 'pending'))]);
    expect(early).toBe('pending');
    // The hung program never exits by itself: only the deadline can end this capture.
    timers.fireAll();
    const error = await outcome;
    expect(error).toBeInstanceOf(CameraTimeoutError);
    expect((error as CameraTimeoutError).timeoutMs).toBe(300);
  });

  it('keeps its deadline on the system clock when no timers are injected', async () => {
    // Whether the program is slow to start or hung, a 300 ms deadline ends it as a timeout.
    const error = await makeCamera('hang', SHORT)
      .capture(destination)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraTimeoutError);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('stops when aborted and rejects with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('agent stopping');
    const timers = new HandTimers();
    const capture = makeCamera('hang', SHORT, timers).capture(destination, controller.signal);
    // Aborted while the camera hangs, before its deadline (which never passes here).
    await expect.poll(() => hungCameraWrote(outbox), POLL).toBe(true);
    controller.abort(reason);
    await expect(capture).rejects.toBe(reason);
    expect(timers.armed()).toEqual([]);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('creates nothing in a directory that does not exist', async () => {
    const missing = join(outbox, 'missing', 'x.jpg');
    await expect(makeCamera('ok').capture(missing)).rejects.toBeInstanceOf(CameraOutputError);
    await mkdir(join(outbox, 'missing'));
    expect(await readdir(join(outbox, 'missing'))).toEqual([]);
  });
});
