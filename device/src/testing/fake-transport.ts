import { topicMatchesFilter } from '@coffee-iot/shared';
import {
  type InboundMessageHandler,
  MqttConnectError,
  MqttPublishError,
  MqttSubscribeError,
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
  /** Filters subscribed on the current connection (cleared when it ends: clean session). */
  readonly subscriptions = new Map<string, InboundMessageHandler>();
  /** Every filter ever subscribed, in order, across connections. */
  readonly subscribeLog: string[] = [];
  /** Filters the "broker" refuses with SUBACK 0x80. */
  readonly refusedFilters = new Set<string>();
  /** Called after each acknowledged publish: lets a test play the service that answers it. */
  onPublish: ((topic: string, payload: string) => void) | null = null;

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
          this.onPublish?.(topic, text);
        },
        reject,
      };
      if (this.autoAck) queueMicrotask(entry.resolve);
      else this.pending.push(entry);
    });
  }

  async subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void> {
    if (!this.connected) throw new MqttSubscribeError(`cannot subscribe to ${filter}: not connected`);
    this.subscribeLog.push(filter);
    if (this.refusedFilters.has(filter)) throw new MqttSubscribeError(`SUBACK 0x80 for ${filter}`);
    this.subscriptions.set(filter, onMessage);
  }

  /**
   * The broker delivers a message: every matching subscription of the current connection gets it.
   * Returns how many did (0 = nobody subscribed, as a real broker would silently drop it).
   */
  deliver(topic: string, payload: unknown): number {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const bytes = new TextEncoder().encode(text);
    let delivered = 0;
    for (const [filter, handler] of this.subscriptions) {
      if (!topicMatchesFilter(filter, topic)) continue;
      delivered += 1;
      handler({ topic, payload: bytes });
    }
    return delivered;
  }

  /** Acknowledged publishes to `topic`, parsed as JSON. */
  publishedTo(topic: string): unknown[] {
    return this.acknowledged.filter((p) => p.topic === topic).map((p) => JSON.parse(p.payload) as unknown);
  }

  /** Acknowledges the oldest `count` pending publishes. */
  ackPending(count = this.pending.length): void {
    for (const entry of this.pending.splice(0, count)) entry.resolve();
  }

  /** Simulates the broker going away: pending publishes reject, listeners hear about it. */
  dropConnection(error = new Error('connection reset')): void {
    this.connected = false;
    this.subscriptions.clear();
    for (const entry of this.pending.splice(0))
      entry.reject(new MqttPublishError('connection lost', { cause: error }));
    for (const listener of this.lostListeners) listener(error);
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.subscriptions.clear();
    for (const entry of this.pending.splice(0)) entry.reject(new MqttPublishError('disconnected'));
  }

  onConnectionLost(listener: (error: Error) => void): void {
    this.lostListeners.push(listener);
  }
}
