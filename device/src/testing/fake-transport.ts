import {
  MqttConnectError,
  MqttPublishError,
  type MqttTransport,
  type TransportName,
} from '../transport/transport-port.js';

export interface FakePublish {
  topic: string;
  payload: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Scriptable MqttTransport for unit tests: the test decides when connects succeed or fail,
 * when PUBACKs arrive and when the connection drops — the same failure surface as the real
 * adapters (pending publishes reject when the connection is lost).
 */
export class FakeTransport implements MqttTransport {
  readonly name: TransportName = 'mqtt.js';
  connected = false;
  connectAttempts = 0;
  /** Next connect() outcomes; empty = succeed. */
  readonly connectScript: Array<'ok' | Error> = [];
  /** When true, publishes are acknowledged immediately. */
  autoAck = true;
  readonly pending: FakePublish[] = [];
  readonly acknowledged: { topic: string; payload: string }[] = [];
  /** Date.now() of every publish() call, to check rate limits. */
  readonly publishTimes: number[] = [];
  private lostListeners: Array<(error: Error) => void> = [];

  async connect(): Promise<void> {
    this.connectAttempts += 1;
    const outcome = this.connectScript.shift() ?? 'ok';
    if (outcome !== 'ok') throw new MqttConnectError(outcome.message, { cause: outcome });
    this.connected = true;
  }

  publish(topic: string, payload: string | Uint8Array): Promise<void> {
    if (!this.connected) return Promise.reject(new MqttPublishError('not connected'));
    this.publishTimes.push(Date.now());
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    return new Promise<void>((resolve, reject) => {
      const entry: FakePublish = {
        topic,
        payload: text,
        resolve: () => {
          this.acknowledged.push({ topic, payload: text });
          resolve();
        },
        reject,
      };
      if (this.autoAck) queueMicrotask(entry.resolve);
      else this.pending.push(entry);
    });
  }

  /** Acknowledges the oldest `count` pending publishes. */
  ackPending(count = this.pending.length): void {
    for (const entry of this.pending.splice(0, count)) entry.resolve();
  }

  /** Simulates the broker going away: pending publishes reject, listeners hear about it. */
  dropConnection(error = new Error('connection reset')): void {
    this.connected = false;
    for (const entry of this.pending.splice(0))
      entry.reject(new MqttPublishError('connection lost', { cause: error }));
    for (const listener of this.lostListeners) listener(error);
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    for (const entry of this.pending.splice(0)) entry.reject(new MqttPublishError('disconnected'));
  }

  onConnectionLost(listener: (error: Error) => void): void {
    this.lostListeners.push(listener);
  }
}
