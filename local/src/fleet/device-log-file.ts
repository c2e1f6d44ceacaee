import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '@coffee-iot/device';

/** A simulated device's log beyond this is moved to agent.log.1 at its next start. */
export const DEVICE_LOG_MAX_BYTES = 5 * 1024 * 1024;

export interface DeviceLog {
  readonly logger: Logger;
  /** `{stateDir}/agent.log`: what the device's upload-logs job reads, as a Pi reads its journal. */
  readonly path: string;
  close(): Promise<void>;
}

/**
 * One simulated device's logger: the fleet's stdout as before, plus the device's own file in its
 * state directory, kept to about DEVICE_LOG_MAX_BYTES (one older generation). The file is a
 * convenience for upload-logs: when it cannot be written (a full disk) the failure is logged once
 * on stdout and the device goes on logging there, instead of the whole fleet process dying on an
 * unhandled stream error.
 */
export function openDeviceLog(
  stateDir: string,
  level: LogLevel,
  stdout: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
): DeviceLog {
  const path = join(stateDir, 'agent.log');
  mkdirSync(stateDir, { recursive: true, mode: 0o750 });
  rotateIfLarge(path);
  const file: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o640 });
  let failed = false;
  file.on('error', (error) => {
    if (failed) return;
    failed = true;
    const line = {
      level: 40,
      time: new Date().toISOString(),
      path,
      err: { type: error.name, message: error.message },
      msg: 'device log file not writable; this device logs to stdout only from now on (upload-logs reads what the file has)',
    };
    stdout.write(`${JSON.stringify(line)}\n`);
  });
  // Each log line to both; the file's callback paces the logger when the disk is slow.
  const tee = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stdout.write(chunk);
      // After a failure, or a line logged after the agent stopped (a late timer): stdout only.
      if (failed || file.writableEnded) done();
      else file.write(chunk, () => done());
    },
  });
  return {
    logger: createLogger(level, tee),
    path,
    close: () =>
      new Promise<void>((resolve) => {
        if (failed || file.destroyed) resolve();
        else file.end(resolve);
      }),
  };
}

function rotateIfLarge(path: string): void {
  try {
    if (statSync(path).size > DEVICE_LOG_MAX_BYTES) renameSync(path, `${path}.1`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
