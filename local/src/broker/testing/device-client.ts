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
  const [cert, key, ca] = await Promise.all([
    readFile(files.certPath),
    readFile(files.keyPath),
    readFile(pki.caPath),
  ]);
  return connectWith({ cert, key, ca }, port, clientId);
}

/** PEM material for one mutual-TLS connection. */
export interface TlsIdentity {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca: string | Buffer;
}

/**
 * An MQTT.js client over mutual TLS with any certificate (a claim certificate, one made from a
 * CSR), as a device connects: MQTT 3.1.1, no reconnect. Resolves on CONNACK; rejects with the
 * CONNACK's refusal (MQTT.js puts the return code in `code`).
 */
export async function connectWith(
  identity: TlsIdentity,
  port: number,
  clientId: string,
): Promise<MqttClient> {
  const client = connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...identity,
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
