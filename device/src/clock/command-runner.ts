import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CommandResult {
  stdout: string;
}

/** Runs a program without a shell; rejects when it cannot start, times out or exits non-zero. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  timeoutMs: number,
) => Promise<CommandResult>;

export const nodeCommandRunner: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout) => {
      if (error) reject(error);
      else resolve({ stdout });
    });
  });

export const nodeFileExists = (path: string): boolean => existsSync(path);
