import { topicMatchesFilter } from '@coffee-iot/shared';
import type { Logger } from '../ports/logger.js';
import type { InboundMessage, InboundMessageHandler } from './transport-port.js';

/**
 * The subscriptions of one connection, and which handler each delivered message goes to. MQTT.js
 * hands every message to one 'message' event, so the adapter routes them here; aws-crt calls a
 * callback per subscription but still shares the rule that a throwing handler is logged, never
 * allowed to tear down the connection's event loop.
 */
export class SubscriptionRouter {
  private readonly routes = new Map<string, InboundMessageHandler>();

  constructor(private readonly log: Logger) {}

  add(filter: string, handler: InboundMessageHandler): void {
    this.routes.set(filter, handler);
  }

  clear(): void {
    this.routes.clear();
  }

  /** Delivers to every matching filter (overlapping filters each get the message, as in MQTT). */
  route(message: InboundMessage): number {
    let delivered = 0;
    for (const [filter, handler] of this.routes) {
      if (!topicMatchesFilter(filter, message.topic)) continue;
      delivered += 1;
      deliverSafely(handler, message, this.log);
    }
    if (delivered === 0) this.log.warn({ topic: message.topic }, 'message on a topic nothing subscribed to');
    return delivered;
  }
}

export function deliverSafely(handler: InboundMessageHandler, message: InboundMessage, log: Logger): void {
  try {
    handler(message);
  } catch (error) {
    log.error({ err: error, topic: message.topic }, 'message handler threw; the message is dropped');
  }
}
