import { type ChildProcess, spawn } from 'node:child_process';

export interface SpawnedServer {
  readonly child: ChildProcess;
  /** Settles once the process is gone: on exit, or on a spawn failure that emits only 'error'. */
  readonly exited: Promise<void>;
}

/**
 * Starts a real server for a test (mosquitto, mariadbd) with its stderr handed to `onOutput`, so a
 * failing test can show what the server said. A binary that cannot run is reported through
 * `onOutput` too, instead of an unhandled 'error' event.
 */
export function spawnServer(
  bin: string,
  args: readonly string[],
  onOutput: (text: string) => void,
): SpawnedServer {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => onOutput(chunk));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      onOutput(`\n[harness] cannot run ${bin}: ${error.message}\n`);
      resolve();
    });
  });
  return { child, exited };
}
