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
      const text = payload.toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // A device's own malformed request, echoed by a wide subscription: kept as text.
      }
      this.messages.push({ topic, body });
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

/** Timers moved by hand together with a ManualClock: `advance` fires what falls due, in order. */
export class ManualTimers {
  private pending: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;

  constructor(private readonly clock: ManualClock) {}

  setTimeout = (callback: () => void, ms: number): ReturnType<typeof setTimeout> => {
    const id = this.nextId++;
    this.pending.push({ at: this.clock.ms + ms, callback, id });
    return id as unknown as ReturnType<typeof setTimeout>;
  };

  clearTimeout = (handle: ReturnType<typeof setTimeout>): void => {
    this.pending = this.pending.filter((timer) => timer.id !== (handle as unknown as number));
  };

  get size(): number {
    return this.pending.length;
  }

  advance(ms: number): void {
    const until = this.clock.ms + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at);
      const due = this.pending[0];
      if (due === undefined || due.at > until) break;
      this.pending.shift();
      this.clock.ms = due.at;
      due.callback();
    }
    this.clock.ms = until;
  }
}
