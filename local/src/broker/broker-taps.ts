import type { Logger } from '@coffee-iot/device';
import {
  type HealthMessage,
  isCertificateReportTopic,
  parseTopic,
  TopicError,
  type TopicKind,
} from '@coffee-iot/shared';
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import { DeviceMessageRule } from '../rules/device-message-rule.js';
import type { MessageArrival } from '../rules/message-arrival.js';

export interface BrokerTapHandlers {
  telemetry(thingName: string, payload: Buffer, arrival: MessageArrival): void;
  /** Only health whose deviceId is the topic's thing (rules/device-message-rule.ts). */
  health(message: HealthMessage): void;
  /** Checks health and coffee messages; by default one that logs and counts what it refuses. */
  deviceMessages?: DeviceMessageRule;
  anyMessage(thingName: string): void;
  connected(thingName: string): void;
  disconnected(thingName: string): void;
}

/**
 * What IoT Core would route with topic rules and lifecycle events: device messages under the
 * topic prefix, and connects/disconnects. Messages from in-process publishers (no client) and
 * topics outside the prefix are not ours and pass by.
 */
export function tapBroker(
  aedes: Aedes,
  topicPrefix: string,
  handlers: BrokerTapHandlers,
  logger: Logger,
): void {
  const deviceMessages = handlers.deviceMessages ?? new DeviceMessageRule({ logger });
  aedes.on('client', (client: Client) => handlers.connected(client.id));
  aedes.on('clientDisconnect', (client: Client) => handlers.disconnected(client.id));
  aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (client === null || !packet.topic.startsWith(`${topicPrefix}/`)) return;
    // Rotation reports are control messages, handled by local/src/provisioning (not data rules).
    if (isCertificateReportTopic(packet.topic, topicPrefix)) return;
    let kind: TopicKind;
    let thingName: string;
    try {
      ({ kind, thingName } = parseTopic(packet.topic, topicPrefix));
    } catch (error) {
      if (error instanceof TopicError) {
        logger.warn(
          { topic: packet.topic, reason: error.message },
          'message on an unknown topic; no rule matches',
        );
        return;
      }
      throw error;
    }
    handlers.anyMessage(thingName);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const arrival: MessageArrival = { topic: packet.topic, clientId: client.id, arrivedAt: new Date() };
    if (kind === 'telemetry') {
      handlers.telemetry(thingName, payload, arrival);
      return;
    }
    const message = deviceMessages.admit(kind, thingName, payload, arrival);
    if (message !== null && kind === 'health') handlers.health(message as unknown as HealthMessage);
  });
}

/** Resolves once every named client has connected (now or earlier); rejects past the timeout naming who is missing. */
export function waitForClients(aedes: Aedes, clientIds: readonly string[], timeoutMs: number): Promise<void> {
  const missing = new Set(clientIds);
  for (const id of Object.keys((aedes as unknown as { clients: Record<string, unknown> }).clients))
    missing.delete(id);
  if (missing.size === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onClient = (client: Client) => {
      missing.delete(client.id);
      if (missing.size === 0) {
        clearTimeout(timer);
        aedes.off('client', onClient);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      aedes.off('client', onClient);
      const names = [...missing];
      reject(
        new Error(
          `${names.length} simulated device(s) did not connect within ${timeoutMs / 1000} s: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
        ),
      );
    }, timeoutMs);
    aedes.on('client', onClient);
  });
}
