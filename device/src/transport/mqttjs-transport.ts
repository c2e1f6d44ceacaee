import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { systemTimers, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { ConnectionLostListeners, MqttConnectionLostError } from './connection-lost.js';
import { PendingPublishes } from './pending-publishes.js';
import { SubscriptionRouter } from './subscription-router.js';
import {
  type InboundMessageHandler,
  MqttConnectError,
  type MqttConnectionOptions,
  MqttPublishError,
  MqttSubscribeError,
  type MqttTransport,
} from './transport-port.js';

export interface MqttJsTransportDeps {
  logger: Logger;
  timers?: Timers;
}

/** IoT Core multiplexes MQTT onto 443 by ALPN; on 8883 no protocol name is needed. */
const IOT_CORE_ALPN_PORT = 443;
const IOT_CORE_ALPN = 'x-amzn-mqtt-ca';
/** How long a polite DISCONNECT may take before the socket is simply destroyed. */
const GRACEFUL_END_MS = 1000;
/** The SUBACK return code for a refused filter (MQTT 3.1.1 §3.9.3). */
const SUBACK_FAILURE = 128;

interface Session {
  readonly client: MqttClient;
  established: boolean;
  /** Set when we end the session ourselves, so its 'close' is not reported as a loss. */
  ending: boolean;
  /** Settles when connect() has settled, whatever the outcome. */
  settled: Promise<void>;
  /** Rejects the connect() in progress, e.g. when disconnect() is called before CONNACK. */
  abort: (error: MqttConnectError) => void;
  /** This connection's subscriptions; they end with it (clean session). */
  readonly router: SubscriptionRouter;
}

/**
 * MqttTransport over MQTT.js and Node `tls`: pure JavaScript, so it serves the 32-bit ARM boards
 * where aws-crt has no binary. A fresh MQTT.js client per connect() with auto-reconnect off:
 * ConnectionSupervisor owns reconnection, and a new client means a new in-memory store, so
 * nothing queued on a lost connection is ever re-sent behind the spool's back.
 */
export class MqttJsTransport implements MqttTransport {
  readonly name = 'mqtt.js' as const;
  private readonly log: Logger;
  private readonly timers: Timers;
  private readonly pending = new PendingPublishes();
  private readonly lostListeners: ConnectionLostListeners;
  private session: Session | undefined;
  /** True from connect() until its session exists, to refuse overlapping connects. */
  private opening = false;
  /** Bumped by disconnect(), so a connect() still reading its files knows it was cancelled. */
  private generation = 0;
  private readonly where: string;

  constructor(
    private readonly options: MqttConnectionOptions,
    deps: MqttJsTransportDeps,
  ) {
    this.log = deps.logger.child({ component: 'transport', transport: 'mqtt.js' });
    this.timers = deps.timers ?? systemTimers;
    this.lostListeners = new ConnectionLostListeners(this.log);
    this.where = `${options.endpoint}:${options.port} as client id "${options.clientId}"`;
  }

  async connect(): Promise<void> {
    if (this.session || this.opening) {
      throw new MqttConnectError(`connect() while a connection to ${this.where} is open; disconnect() first`);
    }
    const generation = this.generation;
    this.opening = true;
    let clientOptions: IClientOptions;
    try {
      // Read per attempt, so a renewed certificate is picked up on the next reconnect.
      clientOptions = await this.clientOptions();
    } finally {
      this.opening = false;
    }
    if (generation !== this.generation) {
      throw new MqttConnectError(`connect to ${this.where} was cancelled by disconnect()`);
    }
    const client = connect(clientOptions);
    let abort: Session['abort'] = () => {};
    const opened = new Promise<void>((resolve, reject) => {
      abort = reject;
      this.awaitConnack(client, resolve, reject);
    });
    const session: Session = {
      client,
      established: false,
      ending: false,
      settled: Promise.resolve(),
      abort,
      router: new SubscriptionRouter(this.log),
    };
    client.on('message', (topic, payload) => session.router.route({ topic, payload }));
    this.session = session;
    session.settled = opened.then(
      () => undefined,
      () => undefined,
    );
    client.on('close', () => this.handleClose(session));
    try {
      await opened;
    } catch (error) {
      if (this.session === session) this.session = undefined;
      session.ending = true;
      client.end(true);
      throw error;
    }
    session.established = true;
    this.log.info({ endpoint: this.options.endpoint, clientId: this.options.clientId }, 'MQTT connected');
  }

  publish(topic: string, payload: string | Uint8Array): Promise<void> {
    const session = this.session;
    if (!session?.established) {
      return Promise.reject(
        new MqttPublishError(`cannot publish to ${topic}: not connected to ${this.where}`),
      );
    }
    const body =
      typeof payload === 'string'
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const acknowledged = new Promise<void>((resolve, reject) => {
      session.client.publish(topic, body, { qos: 1 }, (error) => (error ? reject(error) : resolve()));
    });
    return this.pending.track(
      acknowledged,
      (error) => new MqttPublishError(`publish to ${topic} failed: ${errorMessage(error)}`, { cause: error }),
    );
  }

  subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void> {
    const session = this.session;
    if (!session?.established) {
      return Promise.reject(
        new MqttSubscribeError(`cannot subscribe to ${filter}: not connected to ${this.where}`),
      );
    }
    // Routed before SUBACK: a retained message can arrive in the same packet burst.
    session.router.add(filter, onMessage);
    return new Promise<void>((resolve, reject) => {
      session.client.subscribe(filter, { qos: 1 }, (error, granted) => {
        const refused = error ?? (granted?.[0]?.qos === SUBACK_FAILURE ? 'SUBACK 0x80' : undefined);
        if (refused === undefined) return resolve();
        reject(
          new MqttSubscribeError(
            `the broker refused the subscription to ${filter} on ${this.where} ` +
              `(${refused instanceof Error ? refused.message : refused}; does the IoT policy allow it?)`,
            { cause: refused instanceof Error ? refused : undefined },
          ),
        );
      });
    });
  }

  async disconnect(): Promise<void> {
    this.generation += 1;
    const session = this.session;
    this.session = undefined;
    this.pending.rejectAll(new MqttPublishError(`disconnect() from ${this.where} before PUBACK`));
    if (!session) return;
    session.ending = true;
    if (!session.established) {
      session.abort(new MqttConnectError(`connect to ${this.where} was cancelled by disconnect()`));
      await session.settled;
      return;
    }
    await this.endClient(session.client);
    this.log.info({ endpoint: this.options.endpoint }, 'MQTT disconnected');
  }

  onConnectionLost(listener: (error: Error) => void): void {
    this.lostListeners.add(listener);
  }

  private async clientOptions(): Promise<IClientOptions> {
    const o = this.options;
    const [cert, key, ca] = await Promise.all(
      [o.certPath, o.keyPath, o.caPath].map((path) =>
        readFile(path).catch((error: unknown) => {
          throw new MqttConnectError(`cannot read TLS file ${path} for ${this.where}`, { cause: error });
        }),
      ),
    );
    return {
      protocol: 'mqtts',
      host: o.endpoint,
      port: o.port,
      clientId: o.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: o.keepAliveSeconds,
      reconnectPeriod: 0,
      // A backstop only: our own timer (awaitConnack) fires first and names the stage.
      connectTimeout: o.connectTimeoutMs + 1000,
      cert,
      key,
      ca,
      rejectUnauthorized: true,
      // SNI must not carry an IP address (RFC 6066); Node warns and some brokers refuse it.
      ...(isIP(o.endpoint) ? {} : { servername: o.endpoint }),
      ...(o.port === IOT_CORE_ALPN_PORT ? { ALPNProtocols: [IOT_CORE_ALPN] } : {}),
    };
  }

  private awaitConnack(
    client: MqttClient,
    resolve: () => void,
    reject: (error: MqttConnectError) => void,
  ): void {
    let lastError: Error | undefined;
    const ms = this.options.connectTimeoutMs;
    const timer = this.timers.setTimeout(() => {
      reject(
        new MqttConnectError(
          `no CONNACK from ${this.where} within ${ms} ms: TLS handshake or MQTT CONNECT unanswered ` +
            '(check the endpoint and that the broker is reachable)',
          { cause: lastError },
        ),
      );
    }, ms);
    client.once('connect', () => {
      this.timers.clearTimeout(timer);
      resolve();
    });
    client.on('error', (error) => {
      lastError = error;
      this.log.debug({ err: error }, 'MQTT.js client error');
      this.timers.clearTimeout(timer);
      reject(
        new MqttConnectError(
          `cannot connect to ${this.where}: ${explainConnectFailure(error, this.options)}`,
          {
            cause: error,
          },
        ),
      );
    });
    client.once('close', () => {
      this.timers.clearTimeout(timer);
      // Only reached without an 'error' first, e.g. the broker closed the socket after the handshake.
      reject(
        new MqttConnectError(
          `the broker closed the connection to ${this.where} before CONNACK ` +
            `(did it reject client certificate ${this.options.certPath}?)`,
          { cause: lastError },
        ),
      );
    });
  }

  private handleClose(session: Session): void {
    if (!session.established || session.ending) return;
    if (this.session === session) this.session = undefined;
    session.ending = true;
    this.log.warn({ endpoint: this.options.endpoint }, 'MQTT connection lost');
    this.pending.rejectAll(new MqttPublishError(`connection to ${this.where} lost before PUBACK`));
    // Forced end empties MQTT.js's outgoing store, so nothing in it can be sent again.
    session.client.end(true);
    this.lostListeners.notify(new MqttConnectionLostError(`connection to ${this.where} lost`));
  }

  /** Sends DISCONNECT when nothing is in flight; otherwise, or if that stalls, drops the socket. */
  private endClient(client: MqttClient): Promise<void> {
    return new Promise<void>((resolve) => {
      const force = Object.keys(client.outgoing).length > 0;
      const timer = this.timers.setTimeout(() => {
        this.log.debug('DISCONNECT did not complete in time; destroying the socket');
        client.stream.destroy();
        resolve();
      }, GRACEFUL_END_MS);
      client.end(force, () => {
        this.timers.clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Node's TLS errors are terse codes; say what they usually mean for a device and which file to check. */
function explainConnectFailure(error: Error, options: MqttConnectionOptions): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = error.message;
  // A TLS alert is the broker's verdict on our certificate; other certificate errors are our
  // verdict on the broker's.
  if (/alert/i.test(message)) {
    return `TLS: the broker rejected client certificate ${options.certPath}: ${message}`;
  }
  if (/certificate|CERT|self.signed|unable to (get|verify)/i.test(`${code} ${message}`)) {
    return (
      `TLS: the broker certificate is not signed by CA ${options.caPath} ` +
      `or does not name "${options.endpoint}": ${message}`
    );
  }
  if (code === 'ECONNREFUSED') return `connection refused (nothing listening on that port?): ${message}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the endpoint name does not resolve: ${message}`;
  return message;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
