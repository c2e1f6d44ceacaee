import { execFileSync } from 'node:child_process';
import type { MqttClient } from 'mqtt';

// The mutual-TLS connect is the broker tests' own, shared.
export { connectWith, type TlsIdentity } from '../../broker/testing/device-client.js';

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
