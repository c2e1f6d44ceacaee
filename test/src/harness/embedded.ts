import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../device/src/ports/logger.js';
import { EmbeddedBroker } from '../../../local/src/broker/embedded-broker.js';
import type { TestBroker } from './test-broker.js';
import { createTestPki, type TestPki } from './test-pki.js';

export interface EmbeddedTestBrokerOptions {
  thingNames: readonly string[];
}

/** The agent's embedded aedes broker behind the TestBroker interface, for the contract suites. */
export class EmbeddedTestBroker implements TestBroker {
  readonly kind = 'aedes' as const;
  readonly host = '127.0.0.1';
  private broker: EmbeddedBroker | undefined;
  private assignedPort = 0;
  private output = '';
  private readonly connections = new Map<string, number>();
  private readonly logger: Logger;

  private constructor(
    readonly dir: string,
    readonly pki: TestPki,
  ) {
    // Keep the broker's log for failing tests instead of printing it.
    this.logger = createLogger('debug', {
      write: (line: string) => {
        this.output += line;
        return true;
      },
    } as NodeJS.WritableStream);
  }

  static async create(options: EmbeddedTestBrokerOptions): Promise<EmbeddedTestBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-aedes-'));
    return new EmbeddedTestBroker(dir, await createTestPki(join(dir, 'pki'), options.thingNames));
  }

  get port(): number {
    if (this.assignedPort === 0) throw new Error('the embedded broker has not been started yet');
    return this.assignedPort;
  }

  async start(): Promise<void> {
    const { trusted } = this.pki;
    const broker = new EmbeddedBroker({
      port: this.assignedPort,
      caPath: trusted.caPath,
      certPath: trusted.server.certPath,
      keyPath: trusted.server.keyPath,
      logger: this.logger,
    });
    const { port } = await broker.start();
    this.assignedPort = port;
    broker.aedes.on('client', (client) => {
      this.connections.set(client.id, (this.connections.get(client.id) ?? 0) + 1);
    });
    this.broker = broker;
  }

  async stop(): Promise<void> {
    const broker = this.broker;
    this.broker = undefined;
    await broker?.stop();
  }

  /** In-process there is no harder stop: stop() already drops every socket without goodbye. */
  kill(): Promise<void> {
    return this.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async freeze(): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('cannot freeze: the embedded broker is not running');
    // aedes sends PUBACK once authorizePublish calls back; never calling back holds every PUBACK.
    broker.aedes.authorizePublish = () => {};
  }

  connectionsFrom(clientId: string): number {
    return this.connections.get(clientId) ?? 0;
  }

  logs(): string {
    return this.output;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
