import { mkdir, mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CameraExitError,
  CameraOutputError,
  CameraTimeoutError,
  CameraUnavailableError,
  checkJpeg,
  RpicamCamera,
  type RpicamCameraOptions,
} from '@coffee-iot/device';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCameraMode, FakeCameraPrograms, isAlive } from './fake-camera-program.js';

let fakes: FakeCameraPrograms | undefined;
let outbox: string;

beforeEach(async () => {
  outbox = await mkdtemp(join(tmpdir(), 'rpicam-outbox-'));
});

afterEach(async () => {
  await fakes?.remove();
  fakes = undefined;
  await rm(outbox, { recursive: true, force: true });
});

async function install(programs: string[]): Promise<FakeCameraPrograms> {
  fakes = await FakeCameraPrograms.create(programs);
  return fakes;
}

function camera(programs: FakeCameraPrograms, mode: FakeCameraMode, options: RpicamCameraOptions = {}) {
  return new RpicamCamera({ env: programs.env(mode), ...options });
}

describe('RpicamCamera with a fake rpicam-still on PATH', () => {
  it('runs rpicam-still in the destination directory with the configured options', async () => {
    const programs = await install(['rpicam-still']);
    const cam = camera(programs, 'ok', {
      settings: { width: 1920, height: 1080, quality: 80, rotation: 180, settleMs: 0 },
      clock: { now: () => 1_750_000_000_000 },
    });
    const destination = join(outbox, 'event-1.jpg');

    const photo = await cam.capture(destination);

    expect(photo).toEqual({
      path: destination,
      bytes: (await readFile(programs.jpegPath)).length,
      width: 96,
      height: 64,
      takenAtMs: 1_750_000_000_000,
    });
    expect(checkJpeg(await readFile(destination)).ok).toBe(true);
    const [run, ...others] = await programs.runs();
    expect(others).toEqual([]);
    expect(run?.program).toBe('rpicam-still');
    expect(run?.cwd).toBe(outbox);
    const args = run?.args ?? [];
    const output = args[args.indexOf('--output') + 1] ?? '';
    expect(output).not.toContain('/');
    expect(args.join(' ')).toContain('--encoding jpg --width 1920 --height 1080 --quality 80 --nopreview');
    expect(args.join(' ')).toContain('--rotation 180 --immediate --timeout 1');
    expect(await readdir(outbox)).toEqual(['event-1.jpg']);
  });

  it("copes with destinations the camera program's 128-byte printf buffer could not hold", async () => {
    const programs = await install(['rpicam-still']);
    const deep = join(outbox, '100%d-coffee', 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true });
    const destination = join(deep, 'event-2.jpg');
    expect(destination.length).toBeGreaterThan(128);

    await camera(programs, 'ok').capture(destination);

    expect(await readdir(deep)).toEqual(['event-2.jpg']);
  });

  it('kills a capture that hangs past timeoutMs (SIGKILL) and removes its partial file', async () => {
    const programs = await install(['rpicam-still']);
    const cam = camera(programs, 'hang', { settings: { timeoutMs: 300, settleMs: 0 } });

    const error = await cam.capture(join(outbox, 'x.jpg')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CameraTimeoutError);
    expect((error as Error).message).toMatch(/rpicam-still did not finish within 300 ms/);
    // On a loaded machine the kill may even come before the fake logged its start.
    for (const run of await programs.runs()) expect(isAlive(run.pid)).toBe(false);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('reports a non-zero exit with the tail of stderr and a hint', async () => {
    const programs = await install(['rpicam-still']);
    const error = await camera(programs, 'fail')
      .capture(join(outbox, 'x.jpg'))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CameraExitError);
    const exit = error as CameraExitError;
    expect(exit.command).toBe('rpicam-still');
    expect(exit.exitCode).toBe(255);
    expect(exit.stderrTail).toEqual([
      '[0:00:01.000000000] [4242]  INFO Camera camera_manager.cpp:326 libcamera v0.5.0',
      'ERROR: *** no cameras available ***',
    ]);
    expect(exit.message).toMatch(/check the ribbon cable/);
    expect(await readdir(outbox)).toEqual([]);
  });

  it.each([
    ['garbage', /not a JPEG/],
    ['empty', /empty file/],
  ] as const)('rejects %s output with CameraOutputError', async (mode, problem) => {
    const programs = await install(['rpicam-still']);
    const error = await camera(programs, mode)
      .capture(join(outbox, 'x.jpg'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraOutputError);
    expect((error as CameraOutputError).problem).toMatch(problem);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('rejects a run that exits 0 but leaves no file', async () => {
    const programs = await install(['rpicam-still']);
    const error = await camera(programs, 'silent')
      .capture(join(outbox, 'x.jpg'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraOutputError);
    expect((error as CameraOutputError).problem).toMatch(/no file was written/);
    expect(await readdir(outbox)).toEqual([]);
  });

  it('takes one photo at a time: the camera opens for one process only', async () => {
    const programs = await install(['rpicam-still']);
    const cam = camera(programs, 'ok');
    // The fake holds the camera for 50 ms and fails like libcamera if a second process asks.
    const photos = await Promise.all([1, 2, 3].map((n) => cam.capture(join(outbox, `${n}.jpg`))));
    expect(photos.map((photo) => photo.bytes > 0)).toEqual([true, true, true]);
    expect((await readdir(outbox)).sort()).toEqual(['1.jpg', '2.jpg', '3.jpg']);
    expect(await programs.runs()).toHaveLength(3);
  });
});

describe('RpicamCamera program lookup', () => {
  it('falls back to libcamera-still (Bullseye) when rpicam-still is absent', async () => {
    const programs = await install(['libcamera-still']);
    const cam = camera(programs, 'ok');

    await cam.capture(join(outbox, 'x.jpg'));

    expect(await cam.resolveProgram()).toEqual({
      name: 'libcamera-still',
      path: join(programs.binDir, 'libcamera-still'),
    });
    expect((await programs.runs()).map((run) => run.program)).toEqual(['libcamera-still']);
    expect(await readdir(outbox)).toEqual(['x.jpg']);
  });

  it('prefers rpicam-still when both are installed', async () => {
    const programs = await install(['libcamera-still', 'rpicam-still']);
    await camera(programs, 'ok').capture(join(outbox, 'x.jpg'));
    expect((await programs.runs()).map((run) => run.program)).toEqual(['rpicam-still']);
  });

  it('fails with CameraUnavailableError when neither is on PATH, and finds one installed later', async () => {
    const programs = await install([]);
    const cam = camera(programs, 'ok');

    const error = await cam.capture(join(outbox, 'x.jpg')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CameraUnavailableError);
    expect((error as Error).message).toMatch(/rpicam-still or libcamera-still is not on PATH .*--mock/);
    expect(await readdir(outbox)).toEqual([]);

    const later = await FakeCameraPrograms.create(['rpicam-still']);
    try {
      const installed = new RpicamCamera({ env: { ...programs.env('ok'), PATH: later.binDir } });
      await expect(installed.capture(join(outbox, 'y.jpg'))).resolves.toMatchObject({ width: 96 });
    } finally {
      await later.remove();
    }
  });

  it('looks the program up again after it vanished (an apt upgrade)', async () => {
    const programs = await install(['rpicam-still', 'libcamera-still']);
    const cam = camera(programs, 'ok');
    expect((await cam.resolveProgram()).name).toBe('rpicam-still');
    await unlink(join(programs.binDir, 'rpicam-still'));

    await expect(cam.capture(join(outbox, 'x.jpg'))).rejects.toBeInstanceOf(CameraUnavailableError);
    await cam.capture(join(outbox, 'y.jpg'));

    expect((await cam.resolveProgram()).name).toBe('libcamera-still');
    expect(await readdir(outbox)).toEqual(['y.jpg']);
  });

  it('ignores relative PATH entries', async () => {
    const programs = await install(['rpicam-still']);
    const cam = new RpicamCamera({ env: { ...programs.env('ok'), PATH: `.:bin:${programs.binDir}` } });
    expect((await cam.resolveProgram()).path).toBe(join(programs.binDir, 'rpicam-still'));
  });
});
