import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface ProcessRun {
  /** performance.now() from just before spawn until the child's exit event. */
  wallMs: number;
  /**
   * The child's own CPU time (user + system, all its threads) from its start to its exit event, as
   * it reported it through the CPU_AT_EXIT preload; NaN when the run was not preloaded with it.
   */
  cpuMs: number;
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

/** `--require` this (cpu-at-exit.cjs) for the child to report its CPU time at exit on fd 3. */
export const CPU_AT_EXIT = fileURLToPath(new URL('./cpu-at-exit.cjs', import.meta.url));

export class NodeBinaryError extends Error {
  override readonly name = 'NodeBinaryError';
}

/** `node --version` of the binary at `path` (e.g. v24.22.3), failing with what to do if it does not run. */
export async function nodeVersion(path: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(path, ['--version'], { timeout: 10_000 });
    const version = stdout.trim();
    if (!/^v\d+\.\d+\.\d+/.test(version)) throw new Error(`printed ${JSON.stringify(version)}`);
    return version;
  } catch (error) {
    throw new NodeBinaryError(
      `${path} --version failed (${error instanceof Error ? error.message : String(error)}): ` +
        'pass --node the path of a Node.js binary (bench/README.md says how to get one)',
      { cause: error },
    );
  }
}

/**
 * Runs `node ...args` to its exit, timed from spawn to exit (stdout discarded, stderr kept).
 * `node` is the binary (default: the one running this); with `cpu`, the child is preloaded with
 * CPU_AT_EXIT and reports its own CPU time.
 */
export function timeNode(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number; node?: string; cpu?: boolean },
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      options.node ?? process.execPath,
      options.cpu ? ['--require', CPU_AT_EXIT, ...args] : args,
      {
        env: options.env,
        cwd: options.cwd,
        stdio: ['ignore', 'ignore', 'pipe', options.cpu ? 'pipe' : 'ignore'],
      },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    let cpuReport = '';
    const cpuPipe = child.stdio[3];
    if (cpuPipe && 'setEncoding' in cpuPipe) {
      cpuPipe.setEncoding('utf8').on('data', (chunk: string) => {
        cpuReport += chunk;
      });
    }
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
      resolve({ wallMs, cpuMs: cpuMsOf(cpuReport), code, signal, stderr });
    });
  });
}

/** The CPU time in a CPU_AT_EXIT report, in ms; NaN if there is none (not preloaded, or killed). */
function cpuMsOf(report: string): number {
  if (report.trim() === '') return Number.NaN;
  const { userUs, systemUs } = JSON.parse(report) as { userUs: number; systemUs: number };
  return (userUs + systemUs) / 1000;
}
