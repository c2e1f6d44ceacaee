import { readFile } from 'node:fs/promises';
import { connect, type MqttClient } from 'mqtt';

export interface SubscriberOptions {
  host: string;
  port: number;
  clientId: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  /** Topic filters, subscribed at QoS 1. */
  topics: readonly string[];
}

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer;
}

export class SubscriberTimeoutError extends Error {
  override readonly name = 'SubscriberTimeoutError';
}

/**
 * The test's view of what reached the broker: a plain MQTT.js client with mutual TLS and a
 * persistent session (clean=false, QoS 1), so a broker that keeps sessions (mosquitto with
 * persistence, stopped by SIGTERM) hands over what was published while this subscriber was away.
 */
export class TestSubscriber {
  readonly messages: ReceivedMessage[] = [];
  /** Client errors, e.g. while the broker restarts; kept for assertions and failure messages. */
  readonly errors: Error[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.messages.push({ topic, payload });
      for (const check of [...this.waiters]) check();
    });
    // Errors while the broker restarts are expected (the client reconnects on its own); keep them.
    client.on('error', (error) => this.errors.push(error));
  }

  static async connect(options: SubscriberOptions): Promise<TestSubscriber> {
    const [cert, key, ca] = await Promise.all(
      [options.certPath, options.keyPath, options.caPath].map((path) => readFile(path)),
    );
    const client = connect({
      protocol: 'mqtts',
      host: options.host,
      port: options.port,
      clientId: options.clientId,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 100,
      connectTimeout: 5000,
      cert,
      key,
      ca,
      rejectUnauthorized: true,
    });
    const subscriber = new TestSubscriber(client);
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.subscribeAsync([...options.topics], { qos: 1 });
    } catch (error) {
      client.end(true);
      throw new Error(`test subscriber ${options.clientId} cannot subscribe`, { cause: error });
    }
    return subscriber;
  }

  payloadsOn(topic: string): string[] {
    return this.messages
      .filter((message) => message.topic === topic)
      .map((message) => message.payload.toString());
  }

  /** Resolves as soon as `predicate` holds for the messages so far; checked on every arrival, no polling. */
  waitFor(
    predicate: (messages: readonly ReceivedMessage[]) => boolean,
    timeoutMs: number,
    description = 'the expected messages',
  ): Promise<void> {
    if (predicate(this.messages)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(this.messages)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.messages.map((message) => `${message.topic}: ${message.payload.toString()}`);
        reject(
          new SubscriberTimeoutError(
            `no ${description} within ${timeoutMs} ms; received ${JSON.stringify(seen)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Waits until `topic` has at least `count` messages and returns their payloads. */
  async waitForCount(topic: string, count: number, timeoutMs: number): Promise<string[]> {
    await this.waitFor(
      (messages) => messages.filter((message) => message.topic === topic).length >= count,
      timeoutMs,
      `${count} messages on ${topic}`,
    );
    return this.payloadsOn(topic);
  }

  clear(): void {
    this.messages.length = 0;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
