import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';

/**
 * Broker-side publish times with microsecond resolution. mosquitto's own log stamps whole seconds
 * only, so strace records when mosquitto writes each "Received PUBLISH from …" debug line to
 * stderr: right after it has read that PUBLISH off the socket. Needs `strace` and ptrace rights;
 * without them start() returns null and the bench falls back to mosquitto's whole-second stamps.
 */
export class BrokerTrace {
  private constructor(
    private readonly child: ChildProcess,
    private readonly outputPath: string,
  ) {}

  static async start(brokerPid: number, outputPath: string): Promise<BrokerTrace | null> {
    const child = spawn(
      'strace',
      ['-ttt', '-s', '400', '-e', 'trace=write', '-o', outputPath, '-p', String(brokerPid)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const attached = new Promise<boolean>((resolve) => {
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('attached')) resolve(true);
      });
      child.once('error', () => resolve(false));
      child.once('exit', () => resolve(false));
      setTimeout(() => resolve(false), 5000).unref();
    });
    if (await attached) return new BrokerTrace(child, outputPath);
    child.kill('SIGKILL');
    return null;
  }

  /** Detaches and returns the epoch-ms time and topic of every PUBLISH received from `clientId`. */
  async stop(clientId: string): Promise<{ atMs: number; topic: string }[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGINT');
      await exited;
    }
    const trace = await readFile(this.outputPath, 'utf8');
    // 1732650000.123456 write(2, "1732650000: Received PUBLISH from thing (d0, q1, r0, m3, 'topic', …
    const pattern = new RegExp(
      `^(\\d+\\.\\d+) write\\(2, ".*Received PUBLISH from ${clientId} \\(.*?'([^']+)'`,
    );
    return trace.split('\n').flatMap((line) => {
      const match = pattern.exec(line);
      return match ? [{ atMs: Number(match[1]) * 1000, topic: match[2] as string }] : [];
    });
  }
}
