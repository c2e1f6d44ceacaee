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
  /** Closes the connection; pending publishes reject. Idempotent, safe before connect. */
  disconnect(): Promise<void>;
  /** Called once per established connection that is lost unexpectedly (not after disconnect()). */
  onConnectionLost(listener: (error: Error) => void): void;
}

export type TransportFactory = (options: MqttConnectionOptions) => MqttTransport;

export class MqttConnectError extends Error {
  override readonly name = 'MqttConnectError';
}

export class MqttPublishError extends Error {
  override readonly name = 'MqttPublishError';
}

/** aws-crt's native module could not be loaded on this platform (e.g. armv7). */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
}
