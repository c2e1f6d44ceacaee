import { DEFAULT_TOPIC_PREFIX, deviceMay, deviceTopicGrants, policyPatternMatches } from '@coffee-iot/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DevPkiPaths, ensureDevPki } from '../pki/pki.js';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { connectDevice } from './testing/device-client.js';

const PREFIX = DEFAULT_TOPIC_PREFIX;
const THINGS = ['coffee-pi-1', 'coffee-pi-2'] as const;
type Thing = (typeof THINGS)[number];
const REFUSED = 0x80;

const topic = (thing: string, kind: string) => `${PREFIX}/${thing}/${kind}`;

/** Filters a curious or compromised coffee-pi-1 might try: each would reach another thing's topics. */
const FOREIGN_FILTERS = [
  '#',
  '+',
  '+/#',
  '+/coffee-iot/coffee-pi-2/telemetry',
  'dt/#',
  'dt/coffee-iot/#',
  'dt/coffee-iot/+',
  'dt/coffee-iot/+/telemetry',
  'dt/coffee-iot/+/+',
  'dt/coffee-iot/+/#',
  'dt/coffee-iot/coffee-pi-2/telemetry',
  'dt/coffee-iot/coffee-pi-2/#',
  'dt/coffee-iot/coffee-pi-10/#',
  'dt/coffee-iot/coffee-pi-1',
  '$SYS/#',
  '$aws/things/coffee-pi-1/shadow/#',
  '$aws/things/coffee-pi-2/shadow/update',
];

/** Filters under coffee-pi-1's own topics: allowed by the IoT policy's `dt/coffee-iot/coffee-pi-1/*`. */
const OWN_FILTERS = [
  'dt/coffee-iot/coffee-pi-1/#',
  'dt/coffee-iot/coffee-pi-1/+',
  'dt/coffee-iot/coffee-pi-1/telemetry',
  'dt/coffee-iot/coffee-pi-1/coffee',
  'dt/coffee-iot/coffee-pi-1/+/x',
];

describe('EmbeddedBroker thing policy: subscribe and receive', () => {
  let temp: TempDir;
  let pki: DevPkiPaths;
  let broker: EmbeddedBroker;
  const logs = captureLogs();
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    temp = await tempDir('broker-acl');
    pki = await ensureDevPki(temp.dir, { thingNames: THINGS });
    broker = new EmbeddedBroker({
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      logger: logs.logger,
      thingPolicy: { topicPrefix: PREFIX },
    });
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop();
    await temp?.remove();
  });

  beforeEach(() => {
    logs.lines.length = 0;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  });

  async function connectAs(thing: Thing): Promise<MqttClient> {
    const client = await connectDevice(pki, broker.port, thing);
    clients.push(client);
    return client;
  }

  /** Every message a client is sent, as `topic payload`. */
  function received(client: MqttClient): string[] {
    const messages: string[] = [];
    client.on('message', (t, payload) => messages.push(`${t} ${payload.toString('utf8')}`));
    return messages;
  }

  /** SUBACK return codes, one per filter, from one SUBSCRIBE packet. */
  async function subscribe(client: MqttClient, filters: readonly string[]): Promise<number[]> {
    const codes = await client.subscribeAsync([...filters], { qos: 1 }).then(
      (grants) => grants.map((grant) => grant.qos),
      (error: unknown) => {
        // MQTT.js rejects a SUBACK with any 0x80 in it, carrying the packet with every code.
        const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
        if (granted === undefined) throw error;
        return granted;
      },
    );
    expect(codes).toHaveLength(filters.length);
    return codes;
  }

  it('refuses coffee-pi-1 every filter that reaches beyond its own topics with SUBACK 0x80, counted and logged', async () => {
    const device = await connectAs('coffee-pi-1');
    const before = broker.policyRefusals.subscribe;

    // One SUBSCRIBE per filter, so each refusal stands on its own.
    for (const filter of FOREIGN_FILTERS) {
      expect({ filter, codes: await subscribe(device, [filter]) }).toEqual({ filter, codes: [REFUSED] });
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ level: LEVEL.warn, clientId: 'coffee-pi-1', action: 'subscribe', filter }),
      );
    }

    expect(broker.policyRefusals.subscribe).toBe(before + FOREIGN_FILTERS.length);
    expect(device.connected).toBe(true);
  });

  it("delivers nothing of coffee-pi-2's publishes to coffee-pi-1 after its wildcard and foreign subscriptions", async () => {
    const spy = await connectAs('coffee-pi-1');
    const other = await connectAs('coffee-pi-2');
    const spied = received(spy);
    const published: string[] = [];
    broker.aedes.on('publish', (packet, client) => {
      if (client) published.push(packet.topic);
    });

    const codes = await subscribe(spy, [
      '#',
      'dt/coffee-iot/+/telemetry',
      'dt/coffee-iot/coffee-pi-2/telemetry',
      'dt/coffee-iot/coffee-pi-1/#',
    ]);
    for (const kind of ['telemetry', 'coffee', 'health']) {
      await other.publishAsync(topic('coffee-pi-2', kind), `{"from":"coffee-pi-2","kind":"${kind}"}`, {
        qos: 1,
        retain: kind === 'health',
      });
    }
    // The broker handles and delivers in order: once coffee-pi-1's own message is back, anything
    // of coffee-pi-2's that were going to reach it would have arrived first.
    await spy.publishAsync(topic('coffee-pi-1', 'telemetry'), 'own', { qos: 1 });
    await vi.waitFor(() => expect(spied).toContain(`${topic('coffee-pi-1', 'telemetry')} own`));

    expect(spied).toEqual([`${topic('coffee-pi-1', 'telemetry')} own`]);
    expect(published).toEqual(expect.arrayContaining([topic('coffee-pi-2', 'telemetry')]));
    expect(codes).toEqual([REFUSED, REFUSED, REFUSED, 1]);
    // A later subscription does not pick coffee-pi-2's retained health either.
    expect(await subscribe(spy, ['dt/coffee-iot/coffee-pi-2/health'])).toEqual([REFUSED]);
  });

  it('lets coffee-pi-1 subscribe to its own topics and receive what is published there', async () => {
    const device = await connectAs('coffee-pi-1');
    const messages = received(device);

    expect(await subscribe(device, OWN_FILTERS)).toEqual(OWN_FILTERS.map(() => 1));
    await device.publishAsync(topic('coffee-pi-1', 'coffee'), 'brewed', { qos: 1 });

    await vi.waitFor(() => expect(messages.length).toBeGreaterThanOrEqual(1));
    expect(new Set(messages)).toEqual(new Set([`${topic('coffee-pi-1', 'coffee')} brewed`]));
  });

  it('does not deliver a message on a topic outside the receive grants even when a filter matches it', async () => {
    const device = await connectAs('coffee-pi-1');
    const messages = received(device);
    await subscribe(device, ['dt/coffee-iot/coffee-pi-1/#']);
    const before = broker.policyRefusals.receive;

    // MQTT's `x/#` also matches `x` itself; the IoT policy's `x/*` does not, so Receive refuses it.
    await publishInProcess(broker, 'dt/coffee-iot/coffee-pi-1', 'parent level');
    await publishInProcess(broker, topic('coffee-pi-1', 'health'), 'own');
    await vi.waitFor(() => expect(messages).toContain(`${topic('coffee-pi-1', 'health')} own`));

    expect(messages).toEqual([`${topic('coffee-pi-1', 'health')} own`]);
    expect(broker.policyRefusals.receive).toBe(before + 1);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        action: 'receive',
        clientId: 'coffee-pi-1',
        topic: 'dt/coffee-iot/coffee-pi-1',
      }),
    );
  });

  it("keeps refusing a publish on another thing's topic, and counts it", async () => {
    const intruder = await connectAs('coffee-pi-1');
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
    const before = broker.policyRefusals.publish;

    intruder.publish(topic('coffee-pi-10', 'telemetry'), '{"forged": true}', { qos: 1 });
    await closed;

    expect(broker.policyRefusals.publish).toBe(before + 1);
  });

  it('allows exactly the subscribe filters the IoT policy grants (the same shared constants)', async () => {
    const device = await connectAs('coffee-pi-1');
    // What infra's IoT policy grants, with its thing variable resolved for this device.
    const grants = deviceTopicGrants(PREFIX, 'coffee-pi-1');
    const candidates = [...FOREIGN_FILTERS, ...OWN_FILTERS];

    const codes = await subscribe(device, candidates);

    const allowedByBroker = candidates.filter((_filter, i) => codes[i] !== REFUSED);
    const allowedByPolicy = candidates.filter((filter) =>
      grants.subscribe.some((pattern) => policyPatternMatches(pattern, filter)),
    );
    expect(allowedByBroker).toEqual(allowedByPolicy);
    expect(allowedByBroker).toEqual(OWN_FILTERS);
    expect(candidates.filter((filter) => deviceMay(grants, 'subscribe', filter))).toEqual(OWN_FILTERS);
  });
});

function publishInProcess(broker: EmbeddedBroker, topicName: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.aedes.publish(
      { cmd: 'publish', topic: topicName, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
      (error) => (error ? reject(error) : resolve()),
    ),
  );
}
