import type { CameraSettings } from './camera-port.js';

/**
 * Command-line arguments for one `rpicam-still` / `libcamera-still` shot (the option names
 * are common to both: rpicam-apps core/options.cpp and core/still_options.hpp).
 *
 * `outputName` must be a short name without `%`: both programs pass `-o` through
 * snprintf as a format string into a 128-byte buffer, so the caller runs the program in the
 * destination directory and names the file relative to it.
 */
export function buildStillArgs(settings: CameraSettings, outputName: string): string[] {
  if (outputName.includes('%') || outputName.length >= 100) {
    throw new RangeError(`camera output name must be short and contain no '%': ${outputName}`);
  }
  const args = [
    '--output',
    outputName,
    '--encoding',
    'jpg',
    '--width',
    String(settings.width),
    '--height',
    String(settings.height),
    '--quality',
    String(settings.quality),
    '--nopreview',
  ];
  if (settings.rotation === 180) args.push('--rotation', '180');
  if (settings.hflip) args.push('--hflip');
  if (settings.vflip) args.push('--vflip');
  // --immediate configures the still pipeline at once and saves the first frame: fast, but
  // auto exposure/white balance have not converged. Otherwise the viewfinder runs for
  // `--timeout` ms so they can (0 would mean "run forever" there, hence the validation).
  if (settings.settleMs === 0) args.push('--immediate', '--timeout', '1');
  else args.push('--timeout', String(settings.settleMs));
  return args;
}
