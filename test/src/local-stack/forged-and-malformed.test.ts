import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice } from '../../../local/src/broker/testing/device-client.js';
import { ensureDevPki } from '../../../local/src/pki/pki.js';
import type { LocalStack } from '../../../local/src/stack/local-stack.js';
import { queryLake } from '../../../local/src/testing/lake-query.js';
import { eventually, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

/**
 * Issue 12, defects 1 and 4, against the real local pipeline: the embedded broker with the thing
 * policy, the topic rule, kinesalite, the stream reader and the DuckDB lake. No simulated fleet:
 * the test's own MQTT clients, with the stack's PKI, are the devices.
 */
const THINGS = ['coffee-pi-1', 'coffee-pi-2'] as const;
type Thing = (typeof THINGS)[number];
const topic = (thing: Thing, kind: string) => `dt/coffee-iot/${thing}/${kind}`;
const FORGED_BOOT = '0f0f0f0f-0000-4000-8000-00000000f0f0';
const REAL_BOOT = '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';

interface AnyErrorLine {
  file: string;
  [field: string]: unknown;
}

/** Every line of every errors/ file of the lake, whatever shape, with the file it is in. */
async function errorLines(lakeDir: string): Promise<AnyErrorLine[]> {
  const root = join(lakeDir, 'errors');
  let names: string[];
  try {
    names = (await readdir(root, { recursive: true })) as string[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines: AnyErrorLine[] = [];
  for (const name of names.filter(
    (n) => n.endsWith('.json') && !n.split('/').some((p) => p.startsWith('.')),
  )) {
    const path = join(root, name);
    const text = await readFile(path, 'utf8');
    for (const line of text.split('\n').filter((l) => l !== '')) {
      lines.push({ file: relative(lakeDir, path), ...(JSON.parse(line) as object) });
    }
  }
  return lines;
}

function reading(seq: number, temperature: number, ts = new Date().toISOString()) {
  return { seq, ts, temperature, humidity: 40, pressure: 1010, pitch: 0, roll: 0, yaw: 0 };
}

function publish(client: MqttClient, to: string, payload: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    client.publish(to, payload, { qos: 1 }, (error) => (error ? reject(error) : resolve())),
  );
}

describe('the local pipeline trusts the topic, not the payload', () => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let stack: LocalStack;
  const clients = {} as Record<Thing, MqttClient>;

  beforeAll(async () => {
    dataDir = await tempDataDir();
    // The stack's own PKI, with certificates for two things that no simulated agent uses.
    const pki = await ensureDevPki(join(dataDir.path, 'pki'), { thingNames: THINGS });
    stack = await startTestStack(testStackOptions(dataDir.path, { devices: 0, lakeFlushMs: 100, shards: 1 }));
    for (const thing of THINGS) clients[thing] = await connectDevice(pki, stack.brokerPort, thing);
  }, 60_000);

  afterAll(async () => {
    for (const client of Object.values(clients)) client?.end(true);
    await stack?.stop();
    await dataDir?.remove();
  }, 60_000);

  /** Waits until the lake writer has taken `records` stream records in all. */
  async function lakeHasTaken(records: number): Promise<void> {
    await eventually(`${records} records through the lake`, async () => {
      await stack.flushLake();
      return stack.counters().lake.recordsWritten >= records ? true : undefined;
    });
  }

  it("refuses coffee-pi-1's reading claiming coffee-pi-2: coffee-pi-2's real reading with that seq lands", async () => {
    const SEQ = 7;
    const drawn: unknown[] = [];
    const unsubscribe = stack.subscribe((name, data) => {
      if (name === 'telemetry') drawn.push(data);
    });
    const forged = { v: 1, deviceId: 'coffee-pi-2', bootId: FORGED_BOOT, readings: [reading(SEQ, 66.6)] };
    await publish(clients['coffee-pi-1'], topic('coffee-pi-1', 'telemetry'), JSON.stringify(forged));
    // The forged record is through the lake before the real one is sent: were it accepted, the
    // real reading would be the duplicate.
    await lakeHasTaken(1);
    const real = { v: 1, deviceId: 'coffee-pi-2', bootId: REAL_BOOT, readings: [reading(SEQ, 21.5)] };
    await publish(clients['coffee-pi-2'], topic('coffee-pi-2', 'telemetry'), JSON.stringify(real));
    await lakeHasTaken(2);

    for (const view of ['telemetry', 'telemetry_all']) {
      const rows = await queryLake(
        stack.lakeDir,
        `SELECT device_id, boot_id, seq::INTEGER AS seq, temperature FROM ${view} ORDER BY device_id, seq`,
      );
      expect(rows, view).toEqual([
        { device_id: 'coffee-pi-2', boot_id: REAL_BOOT, seq: SEQ, temperature: 21.5 },
      ]);
    }
    const errors = (await errorLines(stack.lakeDir)).filter((line) =>
      JSON.stringify(line).includes(FORGED_BOOT),
    );
    expect(errors).toHaveLength(1);
    expect(String(errors[0]?.reason)).toMatch(/^deviceId does not match topic/);
    expect(stack.counters().lake.identityMismatches).toBe(1);
    // The dashboard draws from the stream too: the forged reading under neither device.
    unsubscribe();
    expect(JSON.stringify(drawn)).not.toContain('66.6');
    expect(JSON.stringify(drawn)).toContain('21.5');
  }, 60_000);

  it('puts every malformed telemetry message in errors/ with topic, client, arrival, reason and raw bytes', async () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xff]);
    const payloads: { name: string; bytes: Buffer; reason: RegExp }[] = [
      { name: 'not JSON', bytes: Buffer.from('{"v": 1, "deviceId": '), reason: /not JSON/ },
      { name: 'NaN literal', bytes: Buffer.from('{"v":NaN}'), reason: /not JSON/ },
      { name: 'binary', bytes: binary, reason: /not UTF-8/ },
      { name: 'JSON array', bytes: Buffer.from('[{"v":1}]'), reason: /not a JSON object/ },
    ];
    const before = Date.now();
    for (const { bytes } of payloads)
      await publish(clients['coffee-pi-1'], topic('coffee-pi-1', 'telemetry'), bytes);

    const found = await eventually('4 malformed messages in errors/', async () => {
      const lines = (await errorLines(stack.lakeDir)).filter((line) => line.ruleName !== undefined);
      return lines.length >= payloads.length ? lines : undefined;
    });
    expect(found).toHaveLength(payloads.length);
    for (const [index, { name, bytes, reason }] of payloads.entries()) {
      const line = found.find((l) => l.base64OriginalPayload === bytes.toString('base64'));
      expect(line, name).toBeDefined();
      expect(line?.file, name).toMatch(
        /^errors\/rule\/ingest_year=\d{4}\/ingest_month=\d\d\/ingest_day=\d\d\/ingest_hour=\d\d\//,
      );
      expect(line?.topic, name).toBe(topic('coffee-pi-1', 'telemetry'));
      expect(line?.clientId, name).toBe('coffee-pi-1');
      expect(String(line?.reason), name).toMatch(reason);
      expect(Date.parse(String(line?.arrivedAt)), name).toBeGreaterThanOrEqual(before - 1000);
      expect(line?.failures, name).toEqual([
        expect.objectContaining({ failedAction: expect.any(String), errorMessage: line?.reason }),
      ]);
      // Text where the bytes are UTF-8, base64 always (as AWS IoT's error action writes it).
      if (index === 2) expect(line?.originalPayload, name).toBeUndefined();
      else expect(line?.originalPayload, name).toBe(bytes.toString('utf8'));
    }
    expect(stack.counters().rule.malformed).toBe(payloads.length);
  }, 60_000);

  it('refuses a health message naming another device: not shown under either id, in errors/', async () => {
    const events: unknown[] = [];
    const unsubscribe = stack.subscribe((name, data) => {
      if (name === 'device') events.push(data);
    });
    try {
      const health = {
        v: 1,
        deviceId: 'coffee-pi-2',
        bootId: 'forged-health',
        ts: new Date().toISOString(),
        agentVersion: '0.1.0',
        transport: 'mqtt.js',
        uptimeSeconds: 1,
        spoolDepth: 999_999,
        oldestUnsentAgeSeconds: null,
        droppedReadings: 12_345,
        sensorErrors: 0,
        lastPubackAt: null,
      };
      await publish(clients['coffee-pi-1'], topic('coffee-pi-1', 'health'), JSON.stringify(health));
      const refused = await eventually('the forged health message in errors/', async () => {
        const lines = (await errorLines(stack.lakeDir)).filter((line) =>
          String(line.originalPayload ?? '').includes('forged-health'),
        );
        return lines.length > 0 ? lines : undefined;
      });
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ topic: topic('coffee-pi-1', 'health'), clientId: 'coffee-pi-1' });
      expect(String(refused[0]?.reason)).toMatch(/^deviceId does not match topic/);
      expect(JSON.stringify(events)).not.toContain('12345');
      expect(stack.counters().deviceMessages.identityMismatches).toBe(1);
    } finally {
      unsubscribe();
    }
  }, 30_000);

  it("refuses a subscription to every device's telemetry, and the stack's counters show it", async () => {
    const granted = await clients['coffee-pi-1'].subscribeAsync('dt/coffee-iot/+/telemetry', { qos: 1 }).then(
      (grants) => grants.map((g) => g.qos),
      // MQTT.js rejects a SUBACK with a 0x80 in it, carrying the packet with every code.
      (error: unknown) => (error as { packet?: { granted?: number[] } }).packet?.granted,
    );
    expect(granted).toEqual([0x80]);
    expect(stack.counters().brokerPolicyRefusals.subscribe).toBe(1);
  });
});
