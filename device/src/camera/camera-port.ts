/**
 * The camera as the rest of the agent sees it. Only `rpicam-camera.ts` runs the camera
 * programs; the mock implements the same port for laptops and tests, failures included.
 */
export interface CapturedPhoto {
  /** Where the JPEG now is: the destination path given to `capture`. */
  path: string;
  /** Size of the JPEG in bytes. */
  bytes: number;
  /** Pixel size read from the JPEG's frame header, when it has one. */
  width?: number;
  height?: number;
  /** Epoch ms (injected clock) when the camera finished writing the photo. */
  takenAtMs: number;
}

export interface Camera {
  /** Human-readable adapter name for logs and health ("rpicam", "mock"). */
  readonly name: string;
  /**
   * Takes one photo and moves it atomically to `destinationPath` (a temp file in the same
   * directory is renamed over it, after an fsync): the destination either does not change or
   * holds a complete, validated JPEG. Rejects with a CameraError subclass, or with the
   * signal's reason when `signal` aborts; no temp file is left behind either way.
   */
  capture(destinationPath: string, signal?: AbortSignal): Promise<CapturedPhoto>;
}

export interface CameraSettings {
  /** Output size in pixels. */
  width: number;
  height: number;
  /** JPEG quality, 1–100. */
  quality: number;
  /** The camera programs only rotate by 0 or 180 degrees (a mount upside down). */
  rotation: 0 | 180;
  hflip: boolean;
  vflip: boolean;
  /** A capture still running after this long is killed and fails with CameraTimeoutError. */
  timeoutMs: number;
  /**
   * How long the camera runs before the shot so auto exposure and white balance settle.
   * 0 shoots the first frame (`--immediate`): fastest, but the exposure may be off.
   */
  settleMs: number;
}

/**
 * 1280×720 keeps a photo around 150–300 KB (quick to upload over Pi Wi-Fi, far inside
 * Rekognition's 5 MB) with faces large enough to analyse at coffee-machine distance.
 */
export const DEFAULT_CAMERA_SETTINGS: Readonly<CameraSettings> = Object.freeze({
  width: 1280,
  height: 720,
  quality: 90,
  rotation: 0,
  hflip: false,
  vflip: false,
  timeoutMs: 10_000,
  settleMs: 1000,
});

export const CAMERA_LIMITS = Object.freeze({
  minSide: 16,
  maxSide: 10_000,
  maxTimeoutMs: 600_000,
});

/** Every problem with the settings, each naming the field and the expected form; [] when fine. */
export function cameraSettingsProblems(settings: CameraSettings): string[] {
  const problems: string[] = [];
  const integer = (field: keyof CameraSettings, min: number, max: number) => {
    const value = settings[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('width', CAMERA_LIMITS.minSide, CAMERA_LIMITS.maxSide);
  integer('height', CAMERA_LIMITS.minSide, CAMERA_LIMITS.maxSide);
  integer('quality', 1, 100);
  integer('timeoutMs', 1, CAMERA_LIMITS.maxTimeoutMs);
  integer('settleMs', 0, CAMERA_LIMITS.maxTimeoutMs);
  if (settings.rotation !== 0 && settings.rotation !== 180) {
    problems.push(`rotation must be 0 or 180, got ${String(settings.rotation)}`);
  }
  for (const field of ['hflip', 'vflip'] as const) {
    if (typeof settings[field] !== 'boolean') {
      problems.push(`${field} must be true or false, got ${String(settings[field])}`);
    }
  }
  if (problems.length === 0 && settings.settleMs >= settings.timeoutMs) {
    problems.push(
      `settleMs (${settings.settleMs}) must be less than timeoutMs (${settings.timeoutMs}), or every capture times out`,
    );
  }
  return problems;
}

/** The defaults overlaid with `overrides`; throws CameraSettingsError listing every problem. */
export function resolveCameraSettings(overrides: Partial<CameraSettings> = {}): CameraSettings {
  const settings: CameraSettings = { ...DEFAULT_CAMERA_SETTINGS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  const problems = cameraSettingsProblems(settings);
  if (problems.length > 0) throw new CameraSettingsError(problems);
  return settings;
}

/** Base of every camera failure: catch this to log and count a failed capture. */
export class CameraError extends Error {
  override readonly name: string = 'CameraError';
}

export class CameraSettingsError extends CameraError {
  override readonly name = 'CameraSettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`camera settings are invalid: ${problems.join('; ')}`);
  }
}

/** The camera program ran past `timeoutMs` and was killed. */
export class CameraTimeoutError extends CameraError {
  override readonly name = 'CameraTimeoutError';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(
      `${command} did not finish within ${timeoutMs} ms and was killed. Check that no other process ` +
        'holds the camera (rpicam-hello --list-cameras) and the ribbon cable is seated, or raise the timeout.',
      options,
    );
  }
}

/** The camera program exited unsuccessfully (non-zero code or killed by a signal we did not send). */
export class CameraExitError extends CameraError {
  override readonly name = 'CameraExitError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly exitSignal: string | null,
    /** Its last few lines of stderr, oldest first. */
    readonly stderrTail: readonly string[],
    options?: ErrorOptions,
  ) {
    const how =
      exitCode !== null ? `exited with code ${exitCode}` : `was killed by ${exitSignal ?? 'a signal'}`;
    const said = stderrTail.length > 0 ? `: ${stderrTail.join(' | ')}` : ' (no stderr output)';
    super(`${command} ${how}${said}. ${exitHint(stderrTail)}`, options);
  }
}

/** The camera program claimed success but the file is missing, empty or not a JPEG. */
export class CameraOutputError extends CameraError {
  override readonly name = 'CameraOutputError';
  constructor(
    readonly path: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(
      `camera output ${path} is unusable: ${problem}. Check free disk space and the camera ` +
        '(run rpicam-still -o test.jpg by hand and open the file).',
      options,
    );
  }
}

/** No camera program to run, or (mock) no photos to serve. */
export class CameraUnavailableError extends CameraError {
  override readonly name = 'CameraUnavailableError';
}

function exitHint(stderrTail: readonly string[]): string {
  const text = stderrTail.join('\n').toLowerCase();
  if (text.includes('no cameras available')) {
    return 'No camera detected: check the ribbon cable, and camera_auto_detect=1 in /boot/firmware/config.txt.';
  }
  if (text.includes('failed to acquire camera') || text.includes('resource busy')) {
    return 'The camera is in use by another process: stop it (fuser /dev/video*).';
  }
  if (text.includes('unrecognised option') || text.includes('unrecognized option')) {
    return 'The installed camera program does not know an option we pass: update rpicam-apps.';
  }
  return 'Run the same command by hand as the agent user (member of group video) to see its full output.';
}
