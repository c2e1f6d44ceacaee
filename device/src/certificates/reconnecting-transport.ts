import type { InboundMessageHandler, MqttTransport, TransportName } from '../transport/transport-port.js';

/** Why the connection ended: the agent asked for a new one (its identity files changed). */
export class IdentityChangedError extends Error {
  override readonly name = 'IdentityChangedError';
}

/**
 * The agent's transport with one addition: `reconnect()` ends the current connection as if it
 * had been lost, so the ConnectionSupervisor connects again the usual way (its backoff, its
 * callbacks: publishers detach and reattach, services subscribe again) and the transport reads
 * the certificate and key files anew. Nothing in flight is lost: unacknowledged readings stay in
 * the spool and are sent again on the new connection.
 */
export class ReconnectingTransport implements MqttTransport {
  private readonly lostListeners: Array<(error: Error) => void> = [];
  private connected = false;

  constructor(private readonly inner: MqttTransport) {
    inner.onConnectionLost((error) => {
      this.connected = false;
      for (const listener of this.lostListeners) listener(error);
    });
  }

  get name(): TransportName {
    return this.inner.name;
  }

  async connect(): Promise<void> {
    await this.inner.connect();
    this.connected = true;
  }

  publish(topic: string, payload: string | Uint8Array): Promise<void> {
    return this.inner.publish(topic, payload);
  }

  subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void> {
    return this.inner.subscribe(filter, onMessage);
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    await this.inner.disconnect();
  }

  onConnectionLost(listener: (error: Error) => void): void {
    this.lostListeners.push(listener);
  }

  /** Ends the current connection so the next attempt uses the files now in place. No-op when not connected. */
  async reconnect(reason: string): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.inner.disconnect();
    const error = new IdentityChangedError(reason);
    for (const listener of this.lostListeners) listener(error);
  }
}
