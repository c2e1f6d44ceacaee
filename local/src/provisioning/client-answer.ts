import { topicMatchesFilter } from '@coffee-iot/shared';
import type { Client } from 'aedes';

/** Why an answer did not reach its client. */
export type UndeliveredAnswer = 'not-subscribed' | 'disconnected' | 'write-failed';

/**
 * Publishes an answer to ONE client, as IoT Core answers the provisioning API only on the
 * connection that asked: it goes straight to that client (aedes `client.publish`), never through
 * the broker's topic tree, so another client subscribed to the same answer topic receives
 * nothing. The thing policy still sees it (aedes calls authorizeForward on the way out), and, as
 * with IoT Core, a client that is not subscribed to the answer topic does not get it.
 */
export function answerClient(
  client: Client,
  topic: string,
  body: unknown,
): Promise<UndeliveredAnswer | null> {
  if (client.closed || !client.connected) return Promise.resolve('disconnected');
  const subscriptions = (client as unknown as { subscriptions?: Record<string, { qos?: number }> })
    .subscriptions;
  const filters = Object.keys(subscriptions ?? {}).filter((filter) => topicMatchesFilter(filter, topic));
  if (filters.length === 0) return Promise.resolve('not-subscribed');
  const qos = Math.min(1, Math.max(...filters.map((filter) => subscriptions?.[filter]?.qos ?? 0))) as 0 | 1;
  return new Promise((resolve) => {
    client.publish(
      { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos, retain: false, dup: false },
      (error) => resolve(error ? 'write-failed' : null),
    );
  });
}
