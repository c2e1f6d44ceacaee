import { topicMatchesFilter } from '@coffee-iot/shared';
import type { InProcessMqtt, MessageHandler } from '../in-process-mqtt.js';

/**
 * An in-memory InProcessMqtt for tests that need the services but not a broker (the HTTP API):
 * publishes are kept in order and delivered to matching subscriptions, like aedes does.
 */
export class RecordingMqtt implements InProcessMqtt {
  readonly published: { topic: string; body: unknown }[] = [];
  private readonly subscriptions = new Set<{ filter: string; onMessage: MessageHandler }>();

  async subscribe(filter: string, onMessage: MessageHandler): Promise<() => Promise<void>> {
    const subscription = { filter, onMessage };
    this.subscriptions.add(subscription);
    return async () => {
      this.subscriptions.delete(subscription);
    };
  }

  async publish(topic: string, body: unknown): Promise<void> {
    this.published.push({ topic, body });
    this.deliver(topic, Buffer.from(JSON.stringify(body)));
  }

  /** A device's request, as if it had arrived over MQTT. */
  deliver(topic: string, payload: Buffer): void {
    for (const { filter, onMessage } of this.subscriptions) {
      if (topicMatchesFilter(filter, topic)) onMessage(topic, payload);
    }
  }

  bodiesOn(topic: string): unknown[] {
    return this.published.filter((message) => message.topic === topic).map((message) => message.body);
  }
}
