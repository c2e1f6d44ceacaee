import { DEFAULT_TOPIC_PREFIX, type HealthMessage } from '@coffee-iot/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DevPkiPaths } from '../pki/pki.js';
import { ensureDevPki } from '../pki/pki.js';
import { listenOrExplain, PortInUseError } from '../stack/stack-errors.js';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { type BrokerTapHandlers, tapBroker, waitForClients } from './broker-taps.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { connectDevice } from './testing/device-client.js';

const PREFIX = DEFAULT_TOPIC_PREFIX;
const THINGS = ['coffee-pi-1', 'coffee-pi-2'] as const;
type Thing = (typeof THINGS)[number];

/** What the taps were told, in order. */
class TapRecorder implements BrokerTapHandlers {
  readonly events: string[] = [];
  readonly telemetryPayloads: { thingName: string; payload: string }[] = [];
  readonly healthMessages: HealthMessage[] = [];

  telemetry(thingName: string, payload: Buffer): void {
    this.events.push(`telemetry ${thingName}`);
    this.telemetryPayloads.push({ thingName, payload: payload.toString('utf8') });
  }
  health(message: HealthMessage): void {
    this.events.push(`health ${message.deviceId}`);
    this.healthMessages.push(message);
  }
  anyMessage(thingName: string): void {
    this.events.push(`message ${thingName}`);
  }
  connected(thingName: string): void {
    this.events.push(`connected ${thingName}`);
  }
  disconnected(thingName: string): void {
    this.events.push(`disconnected ${thingName}`);
  }
  clear(): void {
    this.events.length = 0;
    this.telemetryPayloads.length = 0;
    this.healthMessages.length = 0;
  }
}

describe('EmbeddedBroker with the thing policy, tapped', () => {
  let temp: TempDir;
  let pki: DevPkiPaths;
  let broker: EmbeddedBroker;
  const taps = new TapRecorder();
  const logs = captureLogs();
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    temp = await tempDir('broker');
    pki = await ensureDevPki(temp.dir, { thingNames: THINGS });
    broker = new EmbeddedBroker({
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      logger: logs.logger,
      thingPolicy: { topicPrefix: PREFIX },
    });
    await broker.start();
    tapBroker(broker.aedes, PREFIX, taps, logs.logger);
  });

  afterAll(async () => {
    await broker?.stop();
    await temp?.remove();
  });

  beforeEach(() => {
    taps.clear();
    logs.lines.length = 0;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
    // The broker sees the sockets close a little later; its taps must be quiet before the next test.
    await vi.waitFor(() => expect(Object.keys(connectedClients())).toEqual([]));
  });

  const connectedClients = () => (broker.aedes as unknown as { clients: Record<string, unknown> }).clients;

  /** A device client, closed after the test. */
  async function connectAs(thing: Thing, clientId: string = thing): Promise<MqttClient> {
    const client = await connectDevice(pki, broker.port, thing, clientId);
    clients.push(client);
    return client;
  }

  const topic = (thing: string, kind: string) => `${PREFIX}/${thing}/${kind}`;

  it('hands a device telemetry to the telemetry tap with its thing name', async () => {
    const device = await connectAs('coffee-pi-1');
    const payload = JSON.stringify({ v: 1, deviceId: 'coffee-pi-1', readings: [] });

    await device.publishAsync(topic('coffee-pi-1', 'telemetry'), payload, { qos: 1 });

    await vi.waitFor(() => expect(taps.telemetryPayloads).toEqual([{ thingName: 'coffee-pi-1', payload }]));
    expect(taps.events).toEqual(['connected coffee-pi-1', 'message coffee-pi-1', 'telemetry coffee-pi-1']);
  });

  it('hands health JSON to the health tap', async () => {
    const device = await connectAs('coffee-pi-2');
    const health = {
      v: 1,
      deviceId: 'coffee-pi-2',
      bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
      ts: '2026-03-05T10:00:00.000Z',
      agentVersion: '0.1.0',
      transport: 'mqtt.js',
      uptimeSeconds: 60,
      spoolDepth: 4,
      oldestUnsentAgeSeconds: null,
      droppedReadings: 0,
      sensorErrors: 0,
      lastPubackAt: null,
    };

    await device.publishAsync(topic('coffee-pi-2', 'health'), JSON.stringify(health), { qos: 1 });

    await vi.waitFor(() => expect(taps.healthMessages).toEqual([health]));
  });

  it('logs health that is not JSON instead of passing it on', async () => {
    const device = await connectAs('coffee-pi-2');

    await device.publishAsync(topic('coffee-pi-2', 'health'), 'not json', { qos: 1 });

    await vi.waitFor(() =>
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: LEVEL.warn,
          thingName: 'coffee-pi-2',
          msg: expect.stringContaining('health'),
        }),
      ),
    );
    expect(taps.healthMessages).toEqual([]);
  });

  it('passes messages on an unknown kind by, with a warning', async () => {
    const device = await connectAs('coffee-pi-1');

    await device.publishAsync(topic('coffee-pi-1', 'shadow'), '{}', { qos: 1 });

    await vi.waitFor(() =>
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ level: LEVEL.warn, topic: topic('coffee-pi-1', 'shadow') }),
      ),
    );
    expect(taps.events).toEqual(['connected coffee-pi-1']);
  });

  it('leaves rotation reports to the rotation handler: no unknown-topic warning', async () => {
    const device = await connectAs('coffee-pi-1');

    await device.publishAsync(topic('coffee-pi-1', 'certificate'), '{"phase":"issued"}', { qos: 1 });
    // Published after it on the same connection: once this one is tapped, the report was seen.
    await device.publishAsync(topic('coffee-pi-1', 'telemetry'), '{}', { qos: 1 });
    await vi.waitFor(() => expect(taps.events).toContain('telemetry coffee-pi-1'));

    expect(logs.lines.filter((line) => line.level >= LEVEL.warn)).toEqual([]);
  });

  it("refuses a client whose client id is not its certificate's thing name (CONNACK not authorized)", async () => {
    const error = await connectAs('coffee-pi-1', 'coffee-pi-2').catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 5 });
    expect(taps.events).toEqual([]);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ clientId: 'coffee-pi-2', certificate: 'coffee-pi-1', level: LEVEL.warn }),
    );
  });

  it("refuses a publish on another thing's topic: the connection is dropped and nothing reaches the taps", async () => {
    const intruder = await connectAs('coffee-pi-1');
    const owner = await connectAs('coffee-pi-2');
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));

    intruder.publish(topic('coffee-pi-2', 'telemetry'), '{"forged": true}', { qos: 0 });
    await closed;
    // The broker handles a connection's packets in order, so once the owner's own message is
    // through, the forged one would have been too.
    await owner.publishAsync(topic('coffee-pi-2', 'telemetry'), '{"own": true}', { qos: 1 });
    await vi.waitFor(() => expect(taps.telemetryPayloads).toHaveLength(1));

    expect(taps.telemetryPayloads).toEqual([{ thingName: 'coffee-pi-2', payload: '{"own": true}' }]);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ clientId: 'coffee-pi-1', topic: topic('coffee-pi-2', 'telemetry') }),
    );
    await vi.waitFor(() => expect(taps.events).toContain('disconnected coffee-pi-1'));
  });

  it('tells the disconnected tap when a device goes', async () => {
    const device = await connectAs('coffee-pi-1');

    await device.endAsync();

    await vi.waitFor(() =>
      expect(taps.events).toEqual(['connected coffee-pi-1', 'disconnected coffee-pi-1']),
    );
  });

  describe('waitForClients', () => {
    it('resolves once every named client has connected, counting those already there', async () => {
      await connectAs('coffee-pi-1');
      let resolved = false;
      const waiting = waitForClients(broker.aedes, THINGS, 10_000).then(() => {
        resolved = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(resolved).toBe(false);

      await connectAs('coffee-pi-2');
      await waiting;

      expect(resolved).toBe(true);
    });

    it('resolves at once when all are connected already', async () => {
      await connectAs('coffee-pi-1');

      await expect(waitForClients(broker.aedes, ['coffee-pi-1'], 1)).resolves.toBeUndefined();
    });

    it('rejects after the timeout naming the clients that did not connect, and stops listening', async () => {
      await connectAs('coffee-pi-1');
      const listeners = broker.aedes.listenerCount('client');
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const many = ['coffee-pi-1', 'coffee-pi-2', 'x-3', 'x-4', 'x-5', 'x-6', 'x-7'];
        const few = waitForClients(broker.aedes, ['coffee-pi-1', 'coffee-pi-2'], 30_000);
        const lots = waitForClients(broker.aedes, many, 30_000);
        const fewResult = expect(few).rejects.toThrow(
          '1 simulated device(s) did not connect within 30 s: coffee-pi-2',
        );
        const lotsResult = expect(lots).rejects.toThrow(
          '6 simulated device(s) did not connect within 30 s: coffee-pi-2, x-3, x-4, x-5, x-6, …',
        );
        await vi.advanceTimersByTimeAsync(29_999);
        expect(broker.aedes.listenerCount('client')).toBe(listeners + 2);
        await vi.advanceTimersByTimeAsync(1);
        await fewResult;
        await lotsResult;
        expect(broker.aedes.listenerCount('client')).toBe(listeners);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  it('explains a port in use when a second broker starts on it', async () => {
    const second = new EmbeddedBroker({
      port: broker.port,
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      logger: logs.logger,
    });

    const attempt = listenOrExplain('MQTT broker', broker.port, '--port', () => second.start());

    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    await expect(attempt).rejects.toThrow(`127.0.0.1:${broker.port}`);
  });
});
