import { spawn } from 'node:child_process';

export interface ProcessRun {
  /** performance.now() from just before spawn until the child's exit event. */
  wallMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Preloaded (`--import`) into a guard run: any socket connect or DNS lookup while the bundle is
 * imported is recorded and refused, and the process then exits with code 3 naming each attempt.
 * A data: URL, so the guard needs no file and runs in the plain `node` the Lambda runtime is.
 */
const NO_NETWORK_GUARD = `
import dns from 'node:dns';
import net from 'node:net';
const attempts = [];
const refuse = (what) => { attempts.push(what); throw new Error('coffee-iot bench: network during import: ' + what); };
net.Socket.prototype.connect = function (...args) {
  // undici and http call connect with an already normalised [options, callback] array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const target = typeof first === 'object' && first !== null ? (first.host ?? first.path) + ':' + first.port : String(first);
  refuse('connect ' + target);
};
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) {
  dns[name] = (host) => refuse('dns.' + name + ' ' + host);
  dns.promises[name] = async (host) => refuse('dns.promises.' + name + ' ' + host);
}
process.on('exit', () => {
  if (attempts.length > 0) {
    process.stderr.write('NETWORK ATTEMPTED DURING IMPORT: ' + attempts.join('; ') + '\\n');
    process.exitCode = 3;
  }
});
`;

export const NO_NETWORK_IMPORT = `data:text/javascript,${encodeURIComponent(NO_NETWORK_GUARD)}`;

/** Runs `node ...args` to its exit, timed from spawn to exit (stdout discarded, stderr kept). */
export function timeNode(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `node ${args.join(' ')} still running after ${timeoutMs} ms (does the import keep the event loop alive?)`,
        ),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // Timed at exit; resolved once stderr is drained ('close').
    let wallMs = Number.NaN;
    child.once('exit', () => {
      wallMs = performance.now() - started;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ wallMs, code, signal, stderr });
    });
  });
}
