import type { Aedes, AedesPublishPacket } from 'aedes';

export type MessageHandler = (topic: string, payload: Buffer) => void;

/**
 * The embedded broker as the local IoT Core services see it: subscriptions and publishes inside
 * the process, with no client, so the thing policy (which checks device connections) does not
 * apply to them, as IoT Core's own services are not bound by a device's policy.
 */
export interface InProcessMqtt {
  /** Resolves once subscribed; the result unsubscribes. */
  subscribe(filter: string, onMessage: MessageHandler): Promise<() => Promise<void>>;
  /** QoS 1, not retained; resolves once aedes has handed it to the subscribers. */
  publish(topic: string, body: unknown): Promise<void>;
}

export function aedesMqtt(aedes: Aedes): InProcessMqtt {
  return {
    subscribe: (filter, onMessage) =>
      new Promise((resolve) => {
        const deliver = (packet: AedesPublishPacket, done: () => void) => {
          const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
          // The handler queues its own work; acknowledging at once keeps aedes moving.
          done();
          onMessage(packet.topic, payload);
        };
        aedes.subscribe(filter, deliver, () =>
          resolve(
            () => new Promise<void>((unsubscribed) => aedes.unsubscribe(filter, deliver, unsubscribed)),
          ),
        );
      }),
    publish: (topic, body) =>
      new Promise((resolve, reject) => {
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: Buffer.from(JSON.stringify(body)),
            qos: 1,
            retain: false,
            dup: false,
          },
          (error) => (error ? reject(error) : resolve()),
        );
      }),
  };
}
