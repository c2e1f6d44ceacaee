import type * as AwsIotSdkModule from 'aws-iot-device-sdk-v2';
import { systemTimers, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { ConnectionLostListeners, MqttConnectionLostError } from './connection-lost.js';
import { PendingPublishes } from './pending-publishes.js';
import { deliverSafely } from './subscription-router.js';
import {
  type InboundMessageHandler,
  MqttConnectError,
  type MqttConnectionOptions,
  MqttPublishError,
  MqttSubscribeError,
  type MqttTransport,
  TransportUnavailableError,
} from './transport-port.js';

/** The parts of aws-iot-device-sdk-v2 this adapter uses; a type only, so nothing loads eagerly. */
export type AwsIotSdk = Pick<typeof AwsIotSdkModule, 'mqtt' | 'iot' | 'io'>;
export type AwsIotSdkLoader = () => Promise<AwsIotSdk>;
type NativeConnection = AwsIotSdkModule.mqtt.MqttClientConnection;
/** The SUBACK return code for a refused filter (MQTT 3.1.1 §3.9.3). */
const SUBACK_FAILURE = 128;

/**
 * Loads the SDK on demand: aws-crt has no prebuilt binary for 32-bit ARM and fails at import
 * there, which must not take the agent down before it can fall back to MQTT.js.
 */
export const loadAwsIotSdk: AwsIotSdkLoader = async () => {
  try {
    const sdk = await import('aws-iot-device-sdk-v2');
    return { mqtt: sdk.mqtt, iot: sdk.iot, io: sdk.io };
  } catch (error) {
    throw new TransportUnavailableError(
      `aws-iot-device-sdk-v2 (aws-crt) cannot be loaded on ${process.platform}-${process.arch}; ` +
        'use transport "mqtt.js" on boards without an aws-crt binary (32-bit ARM)',
      { cause: error },
    );
  }
};

export interface AwsCrtTransportDeps {
  logger: Logger;
  /** Defaults to `loadAwsIotSdk`; tests inject a failing loader. */
  loadSdk?: AwsIotSdkLoader;
  timers?: Timers;
}

/** Loads the SDK (rejecting with TransportUnavailableError if it cannot) and builds the transport. */
export async function createAwsCrtTransport(
  options: MqttConnectionOptions,
  deps: AwsCrtTransportDeps,
): Promise<MqttTransport> {
  const sdk = await (deps.loadSdk ?? loadAwsIotSdk)();
  return new AwsCrtTransport(sdk, options, deps.logger, deps.timers ?? systemTimers);
}

interface Attempt {
  readonly connection: NativeConnection;
  established: boolean;
  /** Set by disconnect() while connect() is still waiting for CONNACK. */
  abandoned: boolean;
  /** Settles when connect() has settled, whatever the outcome. */
  settled: Promise<void>;
}

/** Our own connect deadline passed (as opposed to aws-crt reporting a failure). */
class ConnectTimeoutError extends MqttConnectError {}

/**
 * MqttTransport over aws-crt's MQTT 3.1.1 client. A fresh native connection per connect():
 * the SDK reconnects on its own after an interruption, which would fight ConnectionSupervisor's
 * backoff and, with a clean session, hold our publishes in memory; so on interruption we tear the
 * native connection down and reject what is pending.
 */
export class AwsCrtTransport implements MqttTransport {
  readonly name = 'aws-crt' as const;
  private readonly log: Logger;
  private readonly pending = new PendingPublishes();
  private readonly lostListeners: ConnectionLostListeners;
  private attempt: Attempt | undefined;
  private readonly where: string;

  constructor(
    private readonly sdk: AwsIotSdk,
    private readonly options: MqttConnectionOptions,
    logger: Logger,
    private readonly timers: Timers = systemTimers,
  ) {
    this.log = logger.child({ component: 'transport', transport: 'aws-crt' });
    this.lostListeners = new ConnectionLostListeners(this.log);
    this.where = `${options.endpoint}:${options.port} as client id "${options.clientId}"`;
  }

  connect(): Promise<void> {
    if (this.attempt) {
      return Promise.reject(
        new MqttConnectError(`connect() while a connection to ${this.where} is open; disconnect() first`),
      );
    }
    let connection: NativeConnection;
    try {
      connection = this.newConnection();
    } catch (error) {
      return Promise.reject(error);
    }
    const attempt: Attempt = { connection, established: false, abandoned: false, settled: Promise.resolve() };
    this.attempt = attempt;
    const opened = this.open(attempt);
    attempt.settled = opened.then(
      () => undefined,
      () => undefined,
    );
    return opened;
  }

  private async open(attempt: Attempt): Promise<void> {
    const connecting = attempt.connection.connect();
    try {
      await this.withConnectTimeout(connecting);
    } catch (error) {
      if (this.attempt === attempt) this.attempt = undefined;
      if (error instanceof ConnectTimeoutError) {
        // aws-crt cannot cancel a connect in flight (disconnect() answers NOT_CONNECTED), so a
        // CONNACK that arrives after our deadline must still be closed, or the SDK would keep
        // that connection and its auto-reconnect alive behind our back.
        connecting.then(
          () => this.closeNative(attempt.connection, 'CONNACK after connect timeout'),
          (late: unknown) => this.log.debug({ err: toError(late) }, 'connect failed after connect timeout'),
        );
        throw error;
      }
      throw new MqttConnectError(
        `cannot connect to ${this.where}: ${explainConnectFailure(error, this.options)}`,
        {
          cause: toError(error),
        },
      );
    }
    if (attempt.abandoned) {
      await this.closeNative(attempt.connection, 'disconnect() during connect');
      throw new MqttConnectError(`connect to ${this.where} was cancelled by disconnect()`);
    }
    attempt.established = true;
    this.log.info({ endpoint: this.options.endpoint, clientId: this.options.clientId }, 'MQTT connected');
  }

  publish(topic: string, payload: string | Uint8Array): Promise<void> {
    const attempt = this.attempt;
    if (!attempt?.established) {
      return Promise.reject(
        new MqttPublishError(`cannot publish to ${topic}: not connected to ${this.where}`),
      );
    }
    const acknowledged = attempt.connection.publish(topic, payload, this.sdk.mqtt.QoS.AtLeastOnce);
    return this.pending.track(
      acknowledged,
      (error) =>
        new MqttPublishError(`publish to ${topic} failed: ${describeCrtError(error)}`, {
          cause: toError(error),
        }),
    );
  }

  async subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void> {
    const attempt = this.attempt;
    if (!attempt?.established) {
      throw new MqttSubscribeError(`cannot subscribe to ${filter}: not connected to ${this.where}`);
    }
    let granted: { qos: number; error_code?: number };
    try {
      granted = await attempt.connection.subscribe(filter, this.sdk.mqtt.QoS.AtLeastOnce, (topic, payload) =>
        deliverSafely(onMessage, { topic, payload: new Uint8Array(payload) }, this.log),
      );
    } catch (error) {
      throw new MqttSubscribeError(
        `subscribe to ${filter} on ${this.where} failed: ${describeCrtError(error)}`,
        {
          cause: toError(error),
        },
      );
    }
    if (granted.qos === SUBACK_FAILURE || (granted.error_code ?? 0) !== 0) {
      throw new MqttSubscribeError(
        `the broker refused the subscription to ${filter} on ${this.where} (SUBACK 0x80; does the IoT policy allow it?)`,
      );
    }
  }

  async disconnect(): Promise<void> {
    const attempt = this.attempt;
    this.attempt = undefined;
    this.pending.rejectAll(new MqttPublishError(`disconnect() from ${this.where} before PUBACK`));
    if (!attempt) return;
    if (!attempt.established) {
      // connect() is still waiting; it sees the flag, closes the connection and rejects.
      attempt.abandoned = true;
      await attempt.settled;
      return;
    }
    await this.closeNative(attempt.connection, 'disconnect()');
    this.log.info({ endpoint: this.options.endpoint }, 'MQTT disconnected');
  }

  onConnectionLost(listener: (error: Error) => void): void {
    this.lostListeners.add(listener);
  }

  private newConnection(): NativeConnection {
    const { mqtt, iot, io } = this.sdk;
    const o = this.options;
    try {
      const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(o.certPath, o.keyPath)
        .with_certificate_authority_from_path(undefined, o.caPath)
        .with_client_id(o.clientId)
        .with_endpoint(o.endpoint)
        .with_port(o.port)
        .with_clean_session(true)
        .with_keep_alive_seconds(o.keepAliveSeconds)
        .with_ping_timeout_ms(pingTimeoutMs(o))
        .with_socket_options(
          new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV6, o.connectTimeoutMs),
        )
        .build();
      const connection = new mqtt.MqttClient().new_connection(config);
      connection.on('interrupt', (error) => this.handleInterrupt(connection, error));
      // The SDK also emits every failed operation here; the promises carry them to callers.
      connection.on('error', (error) => this.log.debug({ err: error }, 'aws-crt operation error'));
      return connection;
    } catch (error) {
      // Thrown synchronously for unreadable or malformed certificate/key/CA files.
      throw new MqttConnectError(
        `cannot set up TLS for ${this.where} (cert ${o.certPath}, key ${o.keyPath}, CA ${o.caPath}): ${describeCrtError(error)}`,
        { cause: toError(error) },
      );
    }
  }

  private handleInterrupt(connection: NativeConnection, crtError: unknown): void {
    const attempt = this.attempt;
    if (attempt?.connection !== connection || !attempt.established) return;
    this.attempt = undefined;
    const reason = describeCrtError(crtError);
    this.log.warn({ endpoint: this.options.endpoint, reason }, 'MQTT connection lost');
    this.pending.rejectAll(
      new MqttPublishError(`connection to ${this.where} lost before PUBACK: ${reason}`, {
        cause: toError(crtError),
      }),
    );
    // Stops the SDK's own reconnect loop; ConnectionSupervisor decides when to try again.
    void this.closeNative(connection, 'connection lost');
    this.lostListeners.notify(
      new MqttConnectionLostError(`connection to ${this.where} lost: ${reason}`, {
        cause: toError(crtError),
      }),
    );
  }

  /** Ends the native connection (and its auto-reconnect); failures are logged, there is nothing to retry. */
  private async closeNative(connection: NativeConnection, why: string): Promise<void> {
    try {
      await connection.disconnect();
    } catch (error) {
      this.log.debug({ err: toError(error), why }, 'aws-crt disconnect failed');
    }
  }

  /**
   * aws-crt reports a failed TLS handshake only after its own 10–30 s timeouts, so we bound
   * the attempt ourselves and say which stage was still outstanding.
   */
  private withConnectTimeout<T>(connecting: Promise<T>): Promise<T> {
    const ms = this.options.connectTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        reject(
          new ConnectTimeoutError(
            `no CONNACK from ${this.where} within ${ms} ms: TLS handshake or MQTT CONNECT unanswered ` +
              `(check the endpoint, that CA ${this.options.caPath} signed the broker certificate, ` +
              `and that the broker accepts certificate ${this.options.certPath})`,
          ),
        );
      }, ms);
      connecting.then(
        (value) => {
          this.timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.timers.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/**
 * How long to wait for PINGRESP. aws-c-mqtt aborts the whole process (a fatal assert, not an
 * error) unless the keep-alive is strictly longer than this, so cap it at half the keep-alive.
 */
function pingTimeoutMs(options: MqttConnectionOptions): number {
  return Math.max(1, Math.min(options.connectTimeoutMs, Math.floor((options.keepAliveSeconds * 1000) / 2)));
}

/**
 * aws-crt's connect errors name a C error code; add what it usually means for a device, so the
 * log says what to fix rather than only what broke.
 */
function explainConnectFailure(error: unknown, options: MqttConnectionOptions): string {
  const message = describeCrtError(error);
  const rejectedCert = `did the broker reject client certificate ${options.certPath}?`;
  const untrustedServer = `is the broker certificate signed by CA ${options.caPath}?`;
  const hints: [string, string][] = [
    ['AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE', `TLS handshake failed (${untrustedServer})`],
    ['AWS_IO_SOCKET_CLOSED', `the broker closed the connection before CONNACK (${rejectedCert})`],
    // With TLS 1.3 the server checks the client certificate after the client's handshake is done,
    // so a rejected certificate shows up as a failed read or an alert, not a handshake failure.
    ['AWS_IO_TLS_ERROR_READ_FAILURE', `TLS failed right after the handshake (${rejectedCert})`],
    ['AWS_IO_TLS_ERROR_ALERT_RECEIVED', `the broker sent a TLS alert (${rejectedCert})`],
    ['AWS_IO_SOCKET_CONNECTION_REFUSED', 'connection refused (nothing listening on that port?)'],
    ['AWS_IO_SOCKET_TIMEOUT', 'TCP connect timed out (network or firewall?)'],
    ['AWS_IO_DNS', 'the endpoint name does not resolve'],
    ['Server rejected connection', 'the broker refused the CONNECT (client id or policy?)'],
  ];
  const hint = hints.find(([code]) => message.includes(code))?.[1];
  return hint ? `${hint}: ${message}` : message;
}

/** aws-crt rejects with plain strings or CrtError objects; make either readable. */
function describeCrtError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message;
  return String(error);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeCrtError(error));
}
