/**
 * An MQTT 3.1.1 connection with mutual TLS, as the publisher needs it. Two adapters implement
 * it: aws-crt (aws-iot-device-sdk-v2) and MQTT.js over Node `tls` for 32-bit ARM boards where
 * aws-crt has no binary. Reconnection is NOT the adapter's job: `ConnectionSupervisor` owns
 * the backoff policy so both transports behave the same.
 */
export type TransportName = 'aws-crt' | 'mqtt.js';
export const TRANSPORT_NAMES: readonly TransportName[] = ['aws-crt', 'mqtt.js'];

export interface MqttConnectionOptions {
  /** Broker host name (IoT Core data-ATS endpoint) or IP. */
  endpoint: string;
  port: number;
  /** MQTT client id; IoT Core policies bind it to the thing name. */
  clientId: string;
  /** Paths to PEM files. */
  certPath: string;
  keyPath: string;
  caPath: string;
  keepAliveSeconds: number;
  /** How long one connection attempt may take before it counts as failed. */
  connectTimeoutMs: number;
}

export interface MqttTransport {
  readonly name: TransportName;
  /**
   * One connection attempt (clean session, no automatic reconnect). Rejects with
   * MqttConnectError whose message says what failed (TLS, refused, timeout).
   */
  connect(): Promise<void>;
  /** QoS 1 publish; resolves on PUBACK, rejects with MqttPublishError if the connection drops first. */
  publish(topic: string, payload: string | Uint8Array): Promise<void>;
  /**
   * QoS 1 SUBSCRIBE on the current connection; resolves on SUBACK. Messages on topics matching
   * `filter` go to `onMessage` until the connection ends. Sessions are clean, so a subscription
   * dies with its connection: subscribers subscribe again after every connect (see
   * device/src/remote/subscriptions.ts). Rejects with MqttSubscribeError when not connected or
   * when the broker refuses the filter (SUBACK 0x80, e.g. the IoT policy does not allow it).
   */
  subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void>;
  /** Closes the connection; pending publishes reject. Idempotent, safe before connect. */
  disconnect(): Promise<void>;
  /** Called once per established connection that is lost unexpectedly (not after disconnect()). */
  onConnectionLost(listener: (error: Error) => void): void;
}

/** A message the broker delivered on a subscription. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
}

/**
 * Called for each message on a subscribed filter. It must not throw (the transports log what a
 * handler throws and go on); slow work belongs on the handler's own queue.
 */
export type InboundMessageHandler = (message: InboundMessage) => void;

export type TransportFactory = (options: MqttConnectionOptions) => MqttTransport;

export class MqttConnectError extends Error {
  override readonly name = 'MqttConnectError';
}

export class MqttPublishError extends Error {
  override readonly name = 'MqttPublishError';
}

export class MqttSubscribeError extends Error {
  override readonly name = 'MqttSubscribeError';
}

/** aws-crt's native module could not be loaded on this platform (e.g. armv7). */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
}
