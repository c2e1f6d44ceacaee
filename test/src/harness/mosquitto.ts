import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnServer } from './server-process.js';
import type { TestBroker } from './test-broker.js';
import { createTestPki, type TestPki } from './test-pki.js';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5000;
const READY_POLL_MS = 20;

export class MosquittoHarnessError extends Error {
  override readonly name = 'MosquittoHarnessError';
}

export interface MosquittoOptions {
  /** Things to issue client certificates for (trusted and foreign CA). */
  thingNames: readonly string[];
}

/**
 * A real mosquitto with mutual TLS for integration tests, in its own temp directory with
 * certificates generated for this run. Requires the Debian `mosquitto` package (.ci/run installs it).
 */
export class MosquittoBroker implements TestBroker {
  readonly kind = 'mosquitto' as const;
  readonly host = HOST;
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private frozen = false;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly pki: TestPki,
    private readonly configPath: string,
  ) {}

  /** Prepares the directory, certificates and config on a free port; call start() next. */
  static async create(options: MosquittoOptions): Promise<MosquittoBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-mosquitto-'));
    const pki = await createTestPki(join(dir, 'pki'), options.thingNames);
    await makeReadableByMosquitto(dir, pki);
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    // mosquitto writes its persistence file after dropping to user `mosquitto`.
    await chmod(dataDir, 0o777);
    const port = await freePort();
    const configPath = join(dir, 'mosquitto.conf');
    await writeFile(configPath, mosquittoConfig(port, pki, dataDir));
    return new MosquittoBroker(dir, port, pki, configPath);
  }

  async start(): Promise<void> {
    if (this.process) throw new MosquittoHarnessError('mosquitto is already running');
    const { child, exited } = spawnServer(MOSQUITTO_BIN, ['-c', this.configPath], (text) => {
      this.output += text;
    });
    this.process = child;
    this.frozen = false;
    this.exited = exited.then(() => {
      if (this.process === child) this.process = undefined;
    });
    await this.waitUntilListening(child);
  }

  async stop(): Promise<void> {
    // A stopped (frozen) process would answer its backlog on SIGCONT before honouring SIGTERM.
    if (this.frozen) return this.kill();
    await this.signal('SIGTERM');
  }

  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async freeze(): Promise<void> {
    if (!this.process) throw new MosquittoHarnessError('cannot freeze: mosquitto is not running');
    this.process.kill('SIGSTOP');
    this.frozen = true;
  }

  connectionsFrom(clientId: string): number {
    // mosquitto 2.0: "New client connected from 127.0.0.1:40000 as dev1 (p2, c1, k30, u'dev1')."
    const marker = ` as ${clientId} (`;
    return this.output
      .split('\n')
      .filter((line) => line.includes('New client connected') && line.includes(marker)).length;
  }

  logs(): string {
    return this.output;
  }

  async cleanup(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child) return;
    child.kill(signal);
    this.frozen = false;
    await this.exited;
  }

  /** Bounded poll on TCP connect: mosquitto has no readiness notification of its own. */
  private async waitUntilListening(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.process !== child) {
        throw new MosquittoHarnessError(`mosquitto exited during start-up:\n${this.output}`);
      }
      if (await canConnect(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    await this.kill();
    throw new MosquittoHarnessError(
      `mosquitto not listening on ${this.port} after ${READY_TIMEOUT_MS} ms:\n${this.output}`,
    );
  }
}

function mosquittoConfig(port: number, pki: TestPki, dataDir: string): string {
  return `${[
    `listener ${port} ${HOST}`,
    `cafile ${pki.trusted.caPath}`,
    `certfile ${pki.trusted.server.certPath}`,
    `keyfile ${pki.trusted.server.keyPath}`,
    'require_certificate true',
    // The certificate's CN (the thing name) becomes the username, as IoT Core binds identity to it.
    'use_identity_as_username true',
    'persistence true',
    `persistence_location ${dataDir}/`,
    // A subscriber away during an outage test must get everything it missed.
    'max_queued_messages 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
  ].join('\n')}\n`;
}

/**
 * mosquitto reads certificates and keys after dropping root to user `mosquitto`, so the test
 * PKI (private to this run's temp dir) is opened up. Never do this with real device keys.
 */
async function makeReadableByMosquitto(dir: string, pki: TestPki): Promise<void> {
  await chmod(dir, 0o755);
  for (const pkiDir of [join(dir, 'pki'), pki.trusted.dir, join(dir, 'pki', 'foreign')]) {
    await chmod(pkiDir, 0o755);
    for (const name of await readdir(pkiDir)) {
      if (name.endsWith('.key')) await chmod(join(pkiDir, name), 0o644);
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
