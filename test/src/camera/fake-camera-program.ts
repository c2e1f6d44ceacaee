import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockCamera } from '@coffee-iot/device';

/**
 * What the fake camera program does, chosen per run through FAKE_CAMERA_MODE:
 * ok (writes a real JPEG to -o), hang (writes a few bytes, then never exits), fail (prints
 * rpicam-still's no-camera error, exits 255), garbage (writes text), empty (writes nothing
 * but an empty file), silent (exits 0 without touching the output). In `ok` mode it holds a
 * lock file for 50 ms and fails as libcamera does when another process has the camera.
 */
export type FakeCameraMode = 'ok' | 'hang' | 'fail' | 'garbage' | 'empty' | 'silent';

export interface FakeCameraRun {
  /** The name it was started under (rpicam-still or libcamera-still). */
  program: string;
  args: string[];
  cwd: string;
  pid: number;
}

// CommonJS, run by this very node binary: the fake needs nothing on PATH but itself.
const SCRIPT = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const output = args[args.indexOf('--output') + 1];
fs.appendFileSync(process.env.FAKE_CAMERA_LOG, JSON.stringify({
  program: path.basename(process.argv[1]), args, cwd: process.cwd(), pid: process.pid,
}) + '\\n');
process.stderr.write('[0:00:01.000000000] [4242]  INFO Camera camera_manager.cpp:326 libcamera v0.5.0\\n');
switch (process.env.FAKE_CAMERA_MODE) {
  case 'ok': {
    // Like libcamera, one process at a time holds the camera; the others fail to acquire it.
    let lock;
    try {
      lock = fs.openSync(process.env.FAKE_CAMERA_LOCK, 'wx');
    } catch {
      process.stderr.write('ERROR: *** failed to acquire camera /base/soc/i2c0mux/i2c@1/imx708@1a ***\\n');
      process.exit(255);
    }
    setTimeout(() => {
      fs.copyFileSync(process.env.FAKE_CAMERA_JPEG, output);
      fs.closeSync(lock);
      fs.rmSync(process.env.FAKE_CAMERA_LOCK);
    }, 50);
    break;
  }
  case 'hang':
    fs.writeFileSync(output, Buffer.from([0xff, 0xd8, 0xff]));
    setInterval(() => {}, 60000);
    break;
  case 'fail':
    process.stderr.write('ERROR: *** no cameras available ***\\n');
    process.exit(255);
    break;
  case 'garbage':
    fs.writeFileSync(output, 'Preview window unavailable\\nnot a jpeg at all\\n');
    break;
  case 'empty':
    fs.writeFileSync(output, '');
    break;
  case 'silent':
    fs.rmSync(output, { force: true });
    break;
  default:
    process.stderr.write('fake camera: unknown FAKE_CAMERA_MODE\\n');
    process.exit(3);
}
`;

/** A temp directory with fake camera programs in it, to be put (alone) on PATH. */
export class FakeCameraPrograms {
  private constructor(
    readonly root: string,
    readonly binDir: string,
    readonly jpegPath: string,
    readonly logPath: string,
  ) {}

  /** Installs fakes under the given names (rpicam-still, libcamera-still, or none). */
  static async create(programs: readonly string[]): Promise<FakeCameraPrograms> {
    const root = await mkdtemp(join(tmpdir(), 'fake-camera-'));
    const binDir = join(root, 'bin');
    await mkdir(binDir);
    for (const name of programs) {
      await writeFile(join(binDir, name), SCRIPT);
      await chmod(join(binDir, name), 0o755);
    }
    const jpegPath = join(root, 'shot.jpg');
    // A real JPEG for the fake to "take" (the mock camera's work: test/ has no JPEG encoder of its own).
    await new MockCamera({ settings: { width: 96, height: 64 } }).capture(jpegPath);
    return new FakeCameraPrograms(root, binDir, jpegPath, join(root, 'runs.jsonl'));
  }

  /** Environment for the camera adapter: PATH holds only the fakes. */
  env(mode: FakeCameraMode): NodeJS.ProcessEnv {
    return {
      PATH: this.binDir,
      FAKE_CAMERA_MODE: mode,
      FAKE_CAMERA_JPEG: this.jpegPath,
      FAKE_CAMERA_LOG: this.logPath,
      FAKE_CAMERA_LOCK: join(this.root, 'camera.lock'),
    };
  }

  async runs(): Promise<FakeCameraRun[]> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as FakeCameraRun);
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
