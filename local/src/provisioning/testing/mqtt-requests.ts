import { execFileSync } from 'node:child_process';
import { connect, type MqttClient } from 'mqtt';

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

/** Subscribes to `{topic}/accepted` and `/rejected`, publishes the request and resolves with the first answer. */
export async function request(
  client: MqttClient,
  topic: string,
  body: unknown,
): Promise<{ accepted: boolean; body: Record<string, unknown> }> {
  await client.subscribeAsync([`${topic}/accepted`, `${topic}/rejected`], { qos: 1 });
  const answer = new Promise<{ accepted: boolean; body: Record<string, unknown> }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer on ${topic} within 5 s`)), 5_000);
    const onMessage = (answered: string, payload: Buffer) => {
      if (answered !== `${topic}/accepted` && answered !== `${topic}/rejected`) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ accepted: answered.endsWith('/accepted'), body: JSON.parse(payload.toString()) });
    };
    client.on('message', onMessage);
  });
  await client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  return answer;
}

/** A fresh EC P-256 key and its CSR, from openssl, as a device makes them (the key stays here). */
export function keyAndCsr(): { keyPem: string; csrPem: string } {
  const out = execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '-',
      '-subj',
      '/CN=device',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(out)?.[0];
  const csrPem = /-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----\n/.exec(
    out,
  )?.[0];
  if (keyPem === undefined || csrPem === undefined) throw new Error('openssl did not print a key and a CSR');
  return { keyPem, csrPem };
}
