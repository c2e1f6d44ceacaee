import type { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '@coffee-iot/device';
import { Aedes, type Client } from 'aedes';
import {
  type CertificateGate,
  certificateThingName,
  ThingPolicy,
  type ThingPolicyRefusals,
} from './thing-policy.js';

/**
 * A local stand-in for AWS IoT Core: aedes (MQTT 3.1.1 only; it refuses v5 CONNECTs itself)
 * behind a Node TLS server that demands a client certificate from the dev CA, so devices use
 * exactly the mutual-TLS setup they use against IoT Core.
 */
export interface EmbeddedBrokerOptions {
  /** Interface to listen on; loopback by default so the dev broker is never exposed. */
  host?: string;
  /** 0 picks a free port; read the actual one from `start()` or `port`. */
  port?: number;
  /** CA that client certificates must chain to (the dev CA). */
  caPath: string;
  certPath: string;
  keyPath: string;
  logger: Logger;
  /**
   * Enforce what the IoT policy enforces in AWS (see ThingPolicy): a device connects only with its
   * certificate's CN (the thing name) as client id, and publishes, subscribes and receives only
   * under `{topicPrefix}/{thingName}/`. With `certificates`, a CONNECT is admitted only as the
   * certificate registry says (ACTIVE, attached to the client id's thing, or a claim certificate).
   */
  thingPolicy?: { topicPrefix: string; certificates?: CertificateGate };
}

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export class EmbeddedBrokerError extends Error {
  override readonly name = 'EmbeddedBrokerError';
}

export class EmbeddedBroker {
  private readonly options: EmbeddedBrokerOptions;
  private readonly log: Logger;
  private running: { server: Server; aedes: Aedes; address: BrokerAddress } | undefined;
  private readonly sockets = new Set<Socket>();
  private connections = 0;
  private readonly policy: ThingPolicy | undefined;

  constructor(options: EmbeddedBrokerOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'embedded-broker' });
    if (options.thingPolicy) {
      const { topicPrefix, certificates } = options.thingPolicy;
      this.policy = new ThingPolicy(topicPrefix, this.log, certificates);
    }
  }

  /** The port actually listened on. */
  get port(): number {
    return this.started().address.port;
  }

  get address(): BrokerAddress {
    return this.started().address;
  }

  /** The aedes instance, for in-process subscribers (the local stack's topic rule) and tests. */
  get aedes(): Aedes {
    return this.started().aedes;
  }

  /** What the thing policy refused since construction; all zero without a thing policy. */
  get policyRefusals(): Readonly<ThingPolicyRefusals> {
    return this.policy?.refusals ?? { connect: 0, publish: 0, subscribe: 0, receive: 0 };
  }

  /** MQTT connections accepted since start (CONNACK sent), across all clients. */
  get acceptedConnections(): number {
    return this.connections;
  }

  async start(): Promise<BrokerAddress> {
    if (this.running) throw new EmbeddedBrokerError('embedded broker is already started');
    const [ca, cert, key] = await Promise.all(
      [this.options.caPath, this.options.certPath, this.options.keyPath].map((path) =>
        readFile(path).catch((error: unknown) => {
          throw new EmbeddedBrokerError(`cannot read broker TLS file ${path}`, { cause: error });
        }),
      ),
    );
    const aedes = await Aedes.createBroker();
    this.policy?.install(aedes);
    this.watchBroker(aedes);
    const server = createServer({ ca, cert, key, requestCert: true, rejectUnauthorized: true });
    this.watchServer(server, aedes);
    try {
      const address = await listen(server, this.options.host ?? '127.0.0.1', this.options.port ?? 0);
      this.running = { server, aedes, address };
      // From now on errors are the running server's; a listen failure goes to the caller below.
      server.on('error', (error) => this.log.error({ err: error }, 'embedded broker server error'));
      this.log.info({ host: address.host, port: address.port }, 'embedded MQTT broker listening (mTLS)');
      return address;
    } catch (error) {
      await closeAedes(aedes);
      throw new EmbeddedBrokerError(
        `embedded broker cannot listen on ${this.options.host ?? '127.0.0.1'}:${this.options.port ?? 0}`,
        { cause: error },
      );
    }
  }

  /** Stops listening, drops every client connection and closes aedes. Idempotent. */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    const closed = new Promise<void>((resolve) => running.server.close(() => resolve()));
    // server.close() only stops accepting; it waits for open sockets, so end them ourselves.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all([closed, closeAedes(running.aedes)]);
    this.log.info({ port: running.address.port }, 'embedded MQTT broker stopped');
  }

  private started(): NonNullable<EmbeddedBroker['running']> {
    if (!this.running) throw new EmbeddedBrokerError('embedded broker is not started');
    return this.running;
  }

  private watchServer(server: Server, aedes: Aedes): void {
    // 'connection' hands us the raw TCP socket before the handshake, so stop() can also end
    // connections that never finish TLS.
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      socket.on('error', (error) =>
        this.log.debug({ err: error, peer: certificateThingName(socket) }, 'client socket error'),
      );
      aedes.handle(socket);
    });
    server.on('tlsClientError', (error, socket) => {
      // Typically an unknown client certificate: worth a warning, the device cannot fix it alone.
      this.log.warn({ err: error, remote: socket.remoteAddress }, 'TLS handshake with client failed');
    });
  }

  private watchBroker(aedes: Aedes): void {
    aedes.on('client', (client: Client) => {
      this.connections += 1;
      this.log.info(
        { clientId: client.id, peer: certificateThingName(client.conn) },
        'MQTT client connected',
      );
    });
    aedes.on('clientDisconnect', (client: Client) => {
      this.log.info({ clientId: client.id }, 'MQTT client disconnected');
    });
    aedes.on('clientError', (client: Client, error: Error) => {
      this.log.debug({ clientId: client.id, err: error }, 'MQTT client error');
    });
    aedes.on('connectionError', (client: Client, error: Error) => {
      this.log.warn({ clientId: client.id, err: error }, 'MQTT connection rejected');
    });
    // aedes emits 'error' on persistence failures although its typings leave the event out.
    (aedes as EventEmitter).on('error', (error: Error) => this.log.error({ err: error }, 'aedes error'));
  }
}

function listen(server: Server, host: string, port: number): Promise<BrokerAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({ host, port: address.port });
    });
  });
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}
