import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { main } from '../../../cloud/src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const NOW = new Date('2026-03-05T10:00:00.000Z');

/** Runs `coffee-iot ARGV` in-process with captured output. */
export function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  return runCommand(main, argv, io);
}

/** Runs one command's entry point (runQuery, runReplay…) with ARGV in-process, output captured. */
export async function runCommand(
  command: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  io: Partial<CliIo> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await command(argv, {
    env: {},
    now: () => NOW,
    ...io,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
