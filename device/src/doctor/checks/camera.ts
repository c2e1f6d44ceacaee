import { type CheckResult, describeError, errorCode, fail, ok } from '../check-result.js';
import type { CommandResult, CommandRunner } from '../doctor-ports.js';

/** rpicam-apps on Bookworm; libcamera-apps on Bullseye (the camera adapter tries both too). */
const PROGRAMS = ['rpicam-still', 'libcamera-still'];

const CABLE =
  'power off, check the ribbon cable is seated (contacts toward the board on both ends) and ' +
  'camera_auto_detect=1 is in /boot/firmware/config.txt';

/** A camera is listed by `rpicam-still --list-cameras`, e.g. "0 : imx708 [4608x2592 …]". */
export async function checkCamera(run: CommandRunner): Promise<CheckResult> {
  for (const program of PROGRAMS) {
    let result: CommandResult;
    try {
      result = await run(program, ['--list-cameras']);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      return fail('camera', `${program} --list-cameras failed: ${describeError(error)}`, CABLE);
    }
    const output = `${result.stdout}\n${result.stderr}`;
    const cameras = [...output.matchAll(/^\s*(\d+)\s*:\s*(\S+)/gm)].map((match) => match[2]);
    if (cameras.length > 0) return ok('camera', `${program}: ${cameras.join(', ')}`);
    const said =
      output
        .trim()
        .split('\n')
        .find((line) => line.trim() !== '') ?? `exit code ${result.code}`;
    return fail('camera', `${program} lists no camera (${said.trim()})`, CABLE);
  }
  return fail(
    'camera',
    'neither rpicam-still nor libcamera-still is installed',
    'sudo apt install rpicam-apps (libcamera-apps on Bullseye)',
  );
}
