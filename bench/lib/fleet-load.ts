/**
 * A simulated fleet as load: N MQTT connections with mutual TLS, each its own thing with its own
 * certificate (the broker enforces client id = certificate CN), each publishing one telemetry
 * envelope v1 with one reading per second at QoS 1, as the agent does with batchSeconds 0.
 * Runs in its own process so its TLS and JSON work does not share the stack's event loop.
 * argv: JSON {host, port, caPath, certDir, things: string[], seconds}. Prints one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';

interface LoadSpec {
  host: string;
  port: number;
  caPath: string;
  certDir: string;
  things: string[];
  seconds: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const ca = readFileSync(spec.caPath);

async function connect(thing: string): Promise<MqttClient> {
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: spec.host,
    port: spec.port,
    ca,
    cert: readFileSync(join(spec.certDir, `${thing}.crt`)),
    key: readFileSync(join(spec.certDir, `${thing}.key`)),
    clientId: thing,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    keepalive: 60,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

const clients: MqttClient[] = [];
const connectStarted = performance.now();
for (let start = 0; start < spec.things.length; start += 50) {
  clients.push(...(await Promise.all(spec.things.slice(start, start + 50).map(connect))));
}
const connectMs = performance.now() - connectStarted;

let published = 0;
let acked = 0;
let failed = 0;
const lateTicks: number[] = [];
const bootIds = spec.things.map(() => randomUUID());
const seqs = spec.things.map(() => 0);
const startedAt = Date.now();
// Each device publishes once a second, the fleet spread evenly over the second.
for (let second = 0; second < spec.seconds; second += 1) {
  const tickAt = startedAt + second * 1000;
  const slotMs = 1000 / clients.length;
  for (const [index, client] of clients.entries()) {
    const due = tickAt + index * slotMs;
    const wait = due - Date.now();
    if (wait > 1) await sleep(wait);
    else if (wait < -250) lateTicks.push(-wait);
    const seq = (seqs[index] ?? 0) + 1;
    seqs[index] = seq;
    const thing = spec.things[index] as string;
    const envelope = {
      v: 1,
      deviceId: thing,
      bootId: bootIds[index],
      readings: [
        {
          seq,
          ts: new Date().toISOString(),
          temperature: 21 + (index % 5),
          humidity: 45 + (seq % 10),
          pressure: 1010.5,
          pitch: 1.5,
          roll: 359.1,
          yaw: (seq * 3) % 360,
        },
      ],
    };
    published += 1;
    client.publish(`dt/coffee-iot/${thing}/telemetry`, JSON.stringify(envelope), { qos: 1 }, (error) => {
      if (error) failed += 1;
      else acked += 1;
    });
  }
}
// Wait for the last PUBACKs.
for (let waited = 0; acked + failed < published && waited < 10_000; waited += 100) await sleep(100);
await Promise.all(clients.map((client) => client.endAsync()));
process.stdout.write(
  `${JSON.stringify({ connectMs, published, acked, failed, lateTicks: lateTicks.length, maxLateMs: Math.max(0, ...lateTicks) })}\n`,
);
