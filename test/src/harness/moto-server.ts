import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnServer } from './server-process.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 50;
const STOP_TIMEOUT_MS = 5000;
/** A port found free can be taken before moto binds it: try a few. */
const START_ATTEMPTS = 3;

/** moto answers any access key; the region goes in each client. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
/** The account moto puts every resource in. */
export const MOTO_ACCOUNT = '123456789012';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** $MOTO_SERVER_BIN, else `moto_server` on the PATH, else undefined (the tests that need it skip). */
function findMotoServer(): string | undefined {
  const given = process.env.MOTO_SERVER_BIN;
  if (given !== undefined && given !== '') return executable(given) ? given : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'moto_server');
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

export const MOTO_SERVER_BIN = findMotoServer();

/** Why moto tests skip, for the console: printed once by each suite that skips. */
export const MOTO_SKIP_REASON =
  'moto_server not found ($MOTO_SERVER_BIN or on the PATH): skipping the tests against moto. ' +
  'Install it with: pip install "moto[server]>=5"';

export class MotoHarnessError extends Error {
  override readonly name = 'MotoHarnessError';
}

/**
 * A real moto_server (moto 5) on a free loopback port: one endpoint that answers IoT, S3,
 * CloudFormation and the other AWS APIs moto implements, picking the service from each request's
 * signature. State lives in the process; reset() empties it between tests.
 */
export class MotoServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    readonly port: number,
    /** What the server wrote to stderr (its request log and tracebacks), the last 20 kB. */
    private readonly output: { text: string },
  ) {}

  get endpoint(): string {
    return `http://${HOST}:${this.port}`;
  }

  /** What an AWS SDK v3 client needs to talk to this server in `region`. */
  clientConfig(region: string): {
    region: string;
    endpoint: string;
    credentials: typeof MOTO_CREDENTIALS;
  } {
    return { region, endpoint: this.endpoint, credentials: MOTO_CREDENTIALS };
  }

  static async start(bin: string | undefined = MOTO_SERVER_BIN): Promise<MotoServer> {
    if (bin === undefined) throw new MotoHarnessError(MOTO_SKIP_REASON);
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt += 1) {
      const port = await freePort();
      const output = { text: '' };
      const { child, exited } = spawnServer(bin, ['-H', HOST, '-p', String(port)], (text) => {
        output.text = (output.text + text).slice(-20_000);
      });
      const server = new MotoServer(child, exited, port, output);
      try {
        await server.waitUntilAnswering();
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw lastError;
  }

  private async waitUntilAnswering(): Promise<void> {
    let gone = false;
    void this.exited.then(() => {
      gone = true;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (gone) throw new MotoHarnessError(`moto_server exited before answering:\n${this.output.text}`);
      try {
        const response = await fetch(`${this.endpoint}/moto-api/`);
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    throw new MotoHarnessError(
      `moto_server did not answer on ${this.endpoint} within ${READY_TIMEOUT_MS} ms:\n${this.output.text}`,
    );
  }

  /** Forgets every resource in every service and region. */
  async reset(): Promise<void> {
    const response = await fetch(`${this.endpoint}/moto-api/reset`, { method: 'POST' });
    await response.arrayBuffer();
    if (!response.ok) throw new MotoHarnessError(`moto reset answered ${response.status}`);
  }

  /** The server's recent log (request lines and tracebacks), for a failing test's message. */
  get log(): string {
    return this.output.text;
  }

  /** SIGTERM, then SIGKILL if it has not exited after a few seconds. Idempotent. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
    });
    const stuck = await Promise.race([this.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (stuck) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
