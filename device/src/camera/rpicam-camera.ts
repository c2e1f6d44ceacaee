import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from '../ports/clock.js';
import {
  type Camera,
  CameraExitError,
  type CameraSettings,
  CameraTimeoutError,
  CameraUnavailableError,
  type CapturedPhoto,
  resolveCameraSettings,
} from './camera-port.js';
import { type ExecutableLookup, pathLookup } from './find-executable.js';
import { commitPhoto, createTempPhoto, describe, removeQuietly } from './photo-file.js';
import { buildStillArgs } from './still-args.js';

/** Runs the camera program; tests pass a wrapper or a fake. */
export type SpawnCamera = (
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) => ChildProcess;

export interface RpicamCameraOptions {
  settings?: Partial<CameraSettings>;
  /**
   * Programs to try, in order; the first found on PATH is used for every capture. Default:
   * `rpicam-still` (Bookworm), then `libcamera-still` (Bullseye, and Bookworm's compatibility name).
   */
  commands?: readonly string[];
  /** Environment of the camera program, and the PATH searched. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Finds a program by name. Default: a search of `env.PATH`. */
  lookup?: ExecutableLookup;
  spawn?: SpawnCamera;
  timers?: Timers;
  clock?: Clock;
}

export interface CameraProgram {
  /** The name that was found ("rpicam-still" or "libcamera-still"). */
  name: string;
  /** Its absolute path. */
  path: string;
}

export const DEFAULT_CAMERA_COMMANDS = Object.freeze(['rpicam-still', 'libcamera-still']);

/** Lines of the camera program's stderr kept for CameraExitError. */
const STDERR_TAIL_LINES = 6;
const STDERR_TAIL_CHARS = 8192;

const defaultSpawn: SpawnCamera = (file, args, options) =>
  nodeSpawn(file, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * The Raspberry Pi camera through `rpicam-still` / `libcamera-still`. One process per photo:
 * the camera is only held while a photo is taken, and a wedged process is killed (SIGKILL)
 * after `timeoutMs` instead of blocking the next press. Captures are serialised because the
 * camera can be opened by one process at a time.
 */
export class RpicamCamera implements Camera {
  readonly name = 'rpicam';
  readonly settings: Readonly<CameraSettings>;
  private readonly commands: readonly string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly lookup: ExecutableLookup;
  private readonly spawn: SpawnCamera;
  private readonly timers: Timers;
  private readonly clock: Clock;
  private program: Promise<CameraProgram> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: RpicamCameraOptions = {}) {
    this.settings = Object.freeze(resolveCameraSettings(options.settings));
    this.commands = options.commands ?? DEFAULT_CAMERA_COMMANDS;
    this.env = options.env ?? process.env;
    this.lookup = options.lookup ?? pathLookup(this.env.PATH);
    this.spawn = options.spawn ?? defaultSpawn;
    this.timers = options.timers ?? systemTimers;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Which program captures run, found on first use. Rejects with CameraUnavailableError when
   * none is installed; that answer is not cached, so installing rpicam-apps needs no restart.
   */
  resolveProgram(): Promise<CameraProgram> {
    if (!this.program) {
      const finding = this.findProgram();
      this.program = finding;
      finding.catch(() => {
        if (this.program === finding) this.program = undefined;
      });
    }
    return this.program;
  }

  capture(destinationPath: string, signal?: AbortSignal): Promise<CapturedPhoto> {
    const next = this.queue.then(() => this.captureNow(destinationPath, signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async captureNow(destinationPath: string, signal?: AbortSignal): Promise<CapturedPhoto> {
    signal?.throwIfAborted();
    const program = await this.resolveProgram();
    const temp = await createTempPhoto(destinationPath);
    let takenAtMs: number;
    try {
      await this.run(program, buildStillArgs(this.settings, temp.name), temp.dir, signal);
      takenAtMs = this.clock.now();
    } catch (error) {
      await removeQuietly(temp.path);
      throw error;
    }
    const written = await commitPhoto(temp, destinationPath);
    return { path: destinationPath, ...written, takenAtMs };
  }

  private async findProgram(): Promise<CameraProgram> {
    for (const name of this.commands) {
      const path = await this.lookup(name);
      if (path) return { name, path };
    }
    throw new CameraUnavailableError(
      `no camera program found: ${this.commands.join(' or ')} is not on PATH (${this.env.PATH ?? 'unset'}). ` +
        'Install rpicam-apps (Bookworm) or libcamera-apps (Bullseye), or run with --mock.',
    );
  }

  /** Runs the program in `cwd` until it exits, the timeout kills it, or `signal` aborts. */
  private run(program: CameraProgram, args: string[], cwd: string, signal?: AbortSignal): Promise<void> {
    const { timeoutMs } = this.settings;
    return new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.spawn(program.path, args, { cwd, env: this.env });
      } catch (cause) {
        reject(this.notStarted(program, cause));
        return;
      }
      const stderr = new StderrTail();
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => stderr.push(chunk));
      child.stderr?.on('error', () => undefined);

      let settled = false;
      let killedFor: 'timeout' | 'abort' | undefined;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let timer: TimerHandle | undefined;

      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) this.timers.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const settleExited = () =>
        settle(() => {
          if (killedFor === 'timeout') reject(new CameraTimeoutError(program.name, timeoutMs));
          else if (killedFor === 'abort') reject(signal?.reason);
          else if (exit?.code === 0) resolve();
          else
            reject(
              new CameraExitError(program.name, exit?.code ?? null, exit?.signal ?? null, stderr.lines()),
            );
        });
      const kill = (reason: 'timeout' | 'abort') => {
        if (killedFor || settled) return;
        // It exited in time, but something it started still holds stderr open: go by the exit.
        if (exit && reason === 'timeout') {
          settleExited();
          return;
        }
        killedFor = reason;
        if (exit) settleExited();
        else child.kill('SIGKILL');
      };
      const onAbort = () => kill('abort');

      timer = this.timers.setTimeout(() => kill('timeout'), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Aborted while the program was being looked up or the temp file created.
      if (signal?.aborted) onAbort();
      child.on('error', (cause) => {
        // Spawn failures (ENOENT, EACCES) come without an exit; a failed kill() comes after one.
        if (exit) return;
        settle(() => reject(this.notStarted(program, cause)));
      });
      child.on('exit', (code, exitSignal) => {
        exit = { code, signal: exitSignal };
        // Once we killed it, do not wait for 'close': a child of the program may hold stderr open.
        if (killedFor) settleExited();
      });
      child.on('close', (code, exitSignal) => {
        exit ??= { code, signal: exitSignal };
        settleExited();
      });
    });
  }

  private notStarted(program: CameraProgram, cause: unknown): CameraUnavailableError {
    // Removed or replaced since it was found (an apt upgrade): look it up again next time.
    this.program = undefined;
    return new CameraUnavailableError(
      `${program.name} (${program.path}) could not be started: ${describe(cause)}. ` +
        'Check it is installed and executable by the agent user.',
      { cause },
    );
  }
}

/** The last lines a process wrote, without holding on to everything it wrote. */
class StderrTail {
  private text = '';

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > STDERR_TAIL_CHARS) this.text = this.text.slice(-STDERR_TAIL_CHARS);
  }

  lines(): string[] {
    return this.text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .slice(-STDERR_TAIL_LINES)
      .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line));
  }
}
