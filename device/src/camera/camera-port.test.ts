import { describe, expect, it } from 'vitest';
import {
  CameraError,
  CameraExitError,
  CameraOutputError,
  CameraSettingsError,
  CameraTimeoutError,
  CameraUnavailableError,
  DEFAULT_CAMERA_SETTINGS,
  resolveCameraSettings,
} from './camera-port.js';

describe('camera settings', () => {
  it('defaults to a 1280×720 JPEG at quality 90, 10 s timeout', () => {
    expect(resolveCameraSettings()).toEqual({
      width: 1280,
      height: 720,
      quality: 90,
      rotation: 0,
      hflip: false,
      vflip: false,
      timeoutMs: 10_000,
      settleMs: 1000,
    });
    expect(Object.isFrozen(DEFAULT_CAMERA_SETTINGS)).toBe(true);
  });

  it('ignores undefined overrides', () => {
    expect(resolveCameraSettings({ width: undefined, quality: 70 })).toMatchObject({
      width: 1280,
      quality: 70,
    });
  });

  it('reports every problem at once, naming the field', () => {
    let error: unknown;
    try {
      resolveCameraSettings({
        width: 0,
        height: 10.5,
        quality: 101,
        rotation: 90 as 0,
        hflip: 'yes' as unknown as boolean,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CameraSettingsError);
    const problems = (error as CameraSettingsError).problems;
    expect(problems).toHaveLength(5);
    for (const field of ['width', 'height', 'quality', 'rotation', 'hflip']) {
      expect(problems.some((problem) => problem.startsWith(field))).toBe(true);
    }
  });

  it('refuses a settle time that would always time out', () => {
    expect(() => resolveCameraSettings({ timeoutMs: 500 })).toThrow(
      /settleMs \(1000\) must be less than timeoutMs/,
    );
    expect(resolveCameraSettings({ timeoutMs: 500, settleMs: 0 }).timeoutMs).toBe(500);
  });
});

describe('camera errors', () => {
  it('are all CameraErrors with their own names', () => {
    const errors = [
      new CameraTimeoutError('rpicam-still', 300),
      new CameraExitError('rpicam-still', 1, null, []),
      new CameraOutputError('/x.jpg', 'empty file'),
      new CameraUnavailableError('none'),
      new CameraSettingsError(['width …']),
    ];
    expect(errors.map((error) => error.name)).toEqual([
      'CameraTimeoutError',
      'CameraExitError',
      'CameraOutputError',
      'CameraUnavailableError',
      'CameraSettingsError',
    ]);
    for (const error of errors) expect(error).toBeInstanceOf(CameraError);
  });

  it('say what failed and what to check', () => {
    const timeout = new CameraTimeoutError('rpicam-still', 300);
    expect(timeout.message).toMatch(/rpicam-still did not finish within 300 ms.*ribbon cable/);

    const noCamera = new CameraExitError('rpicam-still', 255, null, [
      'INFO …',
      'ERROR: *** no cameras available ***',
    ]);
    expect(noCamera.message).toMatch(/exited with code 255: INFO … \| ERROR: \*\*\* no cameras available/);
    expect(noCamera.message).toMatch(/camera_auto_detect=1/);

    const busy = new CameraExitError('libcamera-still', null, 'SIGSEGV', ['failed to acquire camera']);
    expect(busy.message).toMatch(/was killed by SIGSEGV.*in use by another process/);

    const output = new CameraOutputError('/out/a.jpg', 'empty file');
    expect(output.message).toMatch(/\/out\/a\.jpg is unusable: empty file. Check free disk space/);
  });

  it('keep the cause', () => {
    const cause = new Error('EACCES');
    expect(new CameraUnavailableError('cannot start', { cause }).cause).toBe(cause);
  });
});
