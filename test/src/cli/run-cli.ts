import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { main } from '../../../cloud/src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const NOW = new Date('2026-03-05T10:00:00.000Z');

/** Runs `coffee-iot ARGV` in-process with captured output. */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    env: {},
    now: () => NOW,
    ...io,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
