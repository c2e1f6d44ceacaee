import type { InboundMessageHandler } from '../transport/transport-port.js';

/**
 * What a connection offers the agent's remote services (the config shadow, jobs, certificate
 * rotation): subscribing, and publishing through the agent's one rate limiter, since IoT Core
 * counts every publish on the connection against the same limit.
 */
export interface ConnectionContext {
  /** QoS 1 SUBSCRIBE on this connection; rejects with MqttSubscribeError if refused. */
  subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void>;
  /**
   * QoS 1 publish of `payload` (an object is sent as JSON); resolves on PUBACK, rejects if the
   * connection drops first or the agent is stopping.
   */
  publish(topic: string, payload: unknown): Promise<void>;
  /** Aborted when this connection ends: work started for it should stop waiting. */
  readonly signal: AbortSignal;
}

/**
 * A part of the agent that lives on the MQTT connection. Sessions are clean, so `connected` runs on
 * every new connection and subscribes again; a service never holds the transport itself.
 */
export interface ConnectionService {
  readonly name: string;
  /** After each connect, once the telemetry publishers are attached. A rejection is logged. */
  connected(connection: ConnectionContext): Promise<void>;
  /** The connection ended (lost or closed); `connection.signal` is already aborted. */
  disconnected(): void;
  /** Agent shutdown, before the connection closes: finish or abandon work cleanly. */
  stop(): Promise<void>;
}
