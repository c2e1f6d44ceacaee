import {
  createAwsCrtTransport,
  type InboundMessage,
  MqttConnectError,
  type MqttConnectionOptions,
  MqttJsTransport,
  MqttPublishError,
  MqttSubscribeError,
  type MqttTransport,
  silentLogger,
  type TransportName,
} from '@coffee-iot/device';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedTestBroker } from './harness/embedded.js';
import { MosquittoBroker } from './harness/mosquitto.js';
import { TestSubscriber } from './harness/subscriber.js';
import type { TestBroker } from './harness/test-broker.js';
import { clientFiles } from './harness/test-pki.js';

/**
 * One contract for every MqttTransport, run against a real mosquitto and the embedded aedes
 * broker, both with mutual TLS (MQTT.js's abstract_client suite is the model).
 */

const THING = 'contract-device';
const SUBSCRIBER = 'contract-subscriber';
const THING_NAMES = [THING, SUBSCRIBER];
/** Small on purpose: aws-crt only reports a bad server certificate after 10–30 s on its own. */
const CONNECT_TIMEOUT_MS = 3000;
/** Longer than aws-crt's first automatic reconnect (1 s), had we failed to stop it. */
const RECONNECT_WATCH_MS = 1500;

const brokers: { kind: string; create: () => Promise<TestBroker> }[] = [
  { kind: 'mosquitto', create: () => MosquittoBroker.create({ thingNames: THING_NAMES }) },
  { kind: 'embedded aedes', create: () => EmbeddedTestBroker.create({ thingNames: THING_NAMES }) },
];

const transports: {
  name: TransportName;
  create: (options: MqttConnectionOptions) => Promise<MqttTransport>;
}[] = [
  { name: 'aws-crt', create: (options) => createAwsCrtTransport(options, { logger: silentLogger() }) },
  { name: 'mqtt.js', create: async (options) => new MqttJsTransport(options, { logger: silentLogger() }) },
];

let topicCounter = 0;

describe.each(brokers)('MqttTransport contract against $kind', ({ create }) => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await create();
    await broker.start();
  });

  afterAll(async () => {
    await broker?.cleanup();
  });

  describe.each(transports)('$name', ({ create: createTransport }) => {
    let topic: string;
    let subscriber: TestSubscriber;
    const opened: MqttTransport[] = [];

    /** Options for THING with the trusted PKI; `overrides` swaps in the failure cases' files. */
    function optionsFor(overrides: Partial<MqttConnectionOptions> = {}): MqttConnectionOptions {
      const device = clientFiles(broker.pki.trusted.clients, THING);
      return {
        endpoint: broker.host,
        port: broker.port,
        clientId: THING,
        certPath: device.certPath,
        keyPath: device.keyPath,
        caPath: broker.pki.trusted.caPath,
        // Equal to the connect timeout on purpose: aws-crt aborts the process unless its ping
        // timeout is below the keep-alive, and the agent's defaults are 30 s and 30 000 ms.
        keepAliveSeconds: CONNECT_TIMEOUT_MS / 1000,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        ...overrides,
      };
    }

    async function transportWith(overrides: Partial<MqttConnectionOptions> = {}): Promise<MqttTransport> {
      const transport = await createTransport(optionsFor(overrides));
      opened.push(transport);
      return transport;
    }

    async function subscribe(): Promise<TestSubscriber> {
      const files = clientFiles(broker.pki.trusted.clients, SUBSCRIBER);
      return TestSubscriber.connect({
        host: broker.host,
        port: broker.port,
        clientId: `${SUBSCRIBER}-${topicCounter}`,
        ...files,
        caPath: broker.pki.trusted.caPath,
        topics: [topic],
      });
    }

    beforeEach(async () => {
      topicCounter += 1;
      topic = `dt/coffee-iot/${THING}/contract-${topicCounter}`;
      subscriber = await subscribe();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((transport) => transport.disconnect()));
      await subscriber.close();
    });

    it('connects with mutual TLS and delivers exactly the published payload', async () => {
      const transport = await transportWith();
      await transport.connect();

      await transport.publish(topic, '{"hello":"coffee"}');
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      await transport.publish(topic, binary);

      await subscriber.waitForCount(topic, 2, 5000);
      const [text, bytes] = subscriber.messages.map((message) => message.payload);
      expect(text?.toString()).toBe('{"hello":"coffee"}');
      expect(bytes && Uint8Array.from(bytes)).toEqual(binary);
    });

    it('delivers messages on a subscribed filter to its handler only, with the exact payload', async () => {
      const transport = await transportWith();
      await transport.connect();
      const commands: InboundMessage[] = [];
      const others: InboundMessage[] = [];
      await transport.subscribe(`${topic}/cmd/+`, (message) => commands.push(message));
      await transport.subscribe(`${topic}/other`, (message) => others.push(message));

      const binary = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      await transport.publish(`${topic}/cmd/a`, '{"n":1}');
      await transport.publish(`${topic}/cmd/b`, binary);
      await transport.publish(`${topic}/other`, 'x');
      await waitUntil(() => commands.length === 2 && others.length === 1);

      expect(commands.map((m) => m.topic)).toEqual([`${topic}/cmd/a`, `${topic}/cmd/b`]);
      expect(new TextDecoder().decode(commands[0]?.payload)).toBe('{"n":1}');
      expect(Uint8Array.from(commands[1]?.payload ?? [])).toEqual(binary);
      expect(others.map((m) => m.topic)).toEqual([`${topic}/other`]);
    });

    it('ends subscriptions with their connection (clean session) and refuses to subscribe while disconnected', async () => {
      const transport = await transportWith();
      await transport.connect();
      const before: InboundMessage[] = [];
      await transport.subscribe(`${topic}/old`, (message) => before.push(message));
      await transport.disconnect();
      await expect(transport.subscribe(`${topic}/old`, () => {})).rejects.toBeInstanceOf(MqttSubscribeError);

      await transport.connect();
      const after: InboundMessage[] = [];
      await transport.subscribe(`${topic}/new`, (message) => after.push(message));
      // Same connection, published in order: once the second arrives, the first has been routed.
      await transport.publish(`${topic}/old`, 'stale');
      await transport.publish(`${topic}/new`, 'fresh');
      await waitUntil(() => after.length === 1);
      expect(before).toEqual([]);
    });

    it('delivers several publishes in the order they were made', async () => {
      const transport = await transportWith();
      await transport.connect();
      const payloads = Array.from({ length: 25 }, (_, i) => `reading-${i}`);

      await Promise.all(payloads.map((payload) => transport.publish(topic, payload)));

      expect(await subscriber.waitForCount(topic, payloads.length, 5000)).toEqual(payloads);
    });

    it('rejects the connection clearly when the broker certificate is not from the configured CA', async () => {
      const transport = await transportWith({ caPath: broker.pki.foreign.caPath });
      const connectionsBefore = broker.connectionsFrom(THING);
      const startedAt = Date.now();

      const error = await transport.connect().then(
        () => undefined,
        (rejection: unknown) => rejection,
      );

      expect(error).toBeInstanceOf(MqttConnectError);
      expect((error as Error).message).toContain(`${broker.host}:${broker.port}`);
      // The message must point at what to fix: the CA file in use.
      expect((error as Error).message).toContain(broker.pki.foreign.caPath);
      expect(Date.now() - startedAt).toBeLessThan(CONNECT_TIMEOUT_MS + 1500);
      expect(broker.connectionsFrom(THING)).toBe(connectionsBefore);
    });

    it('rejects the connection clearly when the broker does not know the client certificate', async () => {
      const foreign = clientFiles(broker.pki.foreign.clients, THING);
      const transport = await transportWith({ certPath: foreign.certPath, keyPath: foreign.keyPath });
      const connectionsBefore = broker.connectionsFrom(THING);
      const startedAt = Date.now();

      const error = await transport.connect().then(
        () => undefined,
        (rejection: unknown) => rejection,
      );

      expect(error).toBeInstanceOf(MqttConnectError);
      expect((error as Error).message).toContain(`${broker.host}:${broker.port}`);
      expect((error as Error).message).toContain(`client certificate ${foreign.certPath}`);
      expect(Date.now() - startedAt).toBeLessThan(CONNECT_TIMEOUT_MS + 1500);
      expect(broker.connectionsFrom(THING)).toBe(connectionsBefore);
    });

    it('reports a lost connection once, rejects the pending publish and does not reconnect by itself', async () => {
      const transport = await transportWith();
      const losses: Error[] = [];
      const lost = new Promise<void>((resolve) =>
        transport.onConnectionLost((error) => {
          losses.push(error);
          resolve();
        }),
      );
      await transport.connect();
      const connectionsAfterConnect = broker.connectionsFrom(THING);

      await broker.freeze();
      const pending = transport.publish(topic, 'never acknowledged');
      const outcome = pending.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      // Without a PUBACK the publish must stay open; only the broker going away settles it.
      expect(await Promise.race([outcome, delay(200).then(() => 'still pending')])).toBe('still pending');
      try {
        await broker.kill();
        expect(await outcome).toBeInstanceOf(MqttPublishError);
        await lost;
      } finally {
        await broker.start();
      }
      await delay(RECONNECT_WATCH_MS);

      expect(losses).toHaveLength(1);
      expect(broker.connectionsFrom(THING)).toBe(connectionsAfterConnect);
      await expect(transport.publish(topic, 'while disconnected')).rejects.toBeInstanceOf(MqttPublishError);
    });

    it('opens a fresh connection on connect() after a loss', async () => {
      const transport = await transportWith();
      const lost = new Promise<void>((resolve) => transport.onConnectionLost(() => resolve()));
      await transport.connect();
      await broker.restart();
      await lost;
      // The embedded broker forgets sessions on restart: subscribe afresh before publishing.
      await subscriber.close();
      subscriber = await subscribe();

      await transport.connect();
      await transport.publish(topic, 'after the outage');

      expect(await subscriber.waitForCount(topic, 1, 5000)).toEqual(['after the outage']);
    });

    it('disconnects idempotently, without reporting a loss or reconnecting afterwards', async () => {
      const transport = await transportWith();
      await transport.disconnect();
      const losses: Error[] = [];
      transport.onConnectionLost((error) => losses.push(error));
      await transport.connect();
      const connectionsAfterConnect = broker.connectionsFrom(THING);

      await transport.disconnect();
      await transport.disconnect();
      await delay(RECONNECT_WATCH_MS);

      expect(losses).toEqual([]);
      expect(broker.connectionsFrom(THING)).toBe(connectionsAfterConnect);
      await expect(transport.publish(topic, 'after disconnect')).rejects.toBeInstanceOf(MqttPublishError);
    });
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls a condition the test can observe, instead of sleeping for a guessed time. */
async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
