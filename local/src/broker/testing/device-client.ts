import { readFile } from 'node:fs/promises';
import { connect, type MqttClient } from 'mqtt';
import type { DevPkiPaths } from '../../pki/pki.js';

/**
 * An MQTT.js client with `thing`'s certificate from the dev PKI, connecting over mutual TLS as a
 * device does (MQTT 3.1.1, no reconnect); resolves on CONNACK, rejects on a refused CONNECT.
 */
export async function connectDevice(
  pki: DevPkiPaths,
  port: number,
  thing: string,
  clientId: string = thing,
): Promise<MqttClient> {
  const files = pki.clients[thing];
  if (files === undefined) throw new Error(`no certificate for ${thing} in the dev PKI`);
  const [cert, key, ca] = await Promise.all(
    [files.certPath, files.keyPath, pki.caPath].map((p) => readFile(p)),
  );
  const client = connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    cert,
    key,
    ca,
    rejectUnauthorized: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`${clientId}: connection closed before CONNACK`)));
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}
