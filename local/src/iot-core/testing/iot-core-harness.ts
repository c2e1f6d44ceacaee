import type { Clock } from '@coffee-iot/device';
import { DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import type { MqttClient } from 'mqtt';
import { EmbeddedBroker } from '../../broker/embedded-broker.js';
import { connectDevice } from '../../broker/testing/device-client.js';
import { type DevPkiPaths, ensureDevPki } from '../../pki/pki.js';
import { captureLogs } from '../../testing/log-capture.js';
import { type TempDir, tempDir } from '../../testing/temp-dir.js';

/** A clock the test moves by hand; timestamps in answers then have known values. */
export class ManualClock implements Clock {
  constructor(public ms: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  get seconds(): number {
    return Math.floor(this.ms / 1000);
  }
}

export interface BrokerFixture {
  temp: TempDir;
  pki: DevPkiPaths;
  broker: EmbeddedBroker;
  logs: ReturnType<typeof captureLogs>;
  clients: MqttClient[];
  connect(thing: string): Promise<MqttClient>;
  stop(): Promise<void>;
}

/** The embedded broker with the thing policy, as the stack runs it, and devices with their own certificates. */
export async function startBrokerFixture(label: string, things: readonly string[]): Promise<BrokerFixture> {
  const temp = await tempDir(label);
  const pki = await ensureDevPki(temp.dir, { thingNames: things });
  const logs = captureLogs();
  const broker = new EmbeddedBroker({
    caPath: pki.caPath,
    certPath: pki.server.certPath,
    keyPath: pki.server.keyPath,
    logger: logs.logger,
    thingPolicy: { topicPrefix: DEFAULT_TOPIC_PREFIX },
  });
  await broker.start();
  const clients: MqttClient[] = [];
  return {
    temp,
    pki,
    broker,
    logs,
    clients,
    async connect(thing) {
      const client = await connectDevice(pki, broker.port, thing);
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
      await broker.stop();
      await temp.remove();
    },
  };
}

/** Every message a client receives, in order, with the payload parsed as JSON. */
export class Inbox {
  readonly messages: { topic: string; body: unknown }[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.messages.push({ topic, body: JSON.parse(payload.toString('utf8')) });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Subscribes (QoS 1) and fails when the broker refused any of the filters. */
  async subscribe(...filters: string[]): Promise<void> {
    const granted = await this.client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((grant) => grant.qos === 0x80).map((grant) => grant.topic);
    if (refused.length > 0) throw new Error(`broker refused ${refused.join(', ')}`);
  }

  /** The next message on `topic` not taken before; rejects after `timeoutMs`. */
  async next(topic: string, timeoutMs = 2000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((message) => message.topic === topic);
      if (index >= 0) return this.messages.splice(index, 1)[0]?.body;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.messages.map((message) => message.topic).join(', ') || 'nothing';
        throw new Error(`no message on ${topic} within ${timeoutMs} ms (have: ${seen})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The topics received so far and not taken. */
  topics(): string[] {
    return this.messages.map((message) => message.topic);
  }

  async publish(topic: string, body: unknown): Promise<void> {
    await this.client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  }
}
