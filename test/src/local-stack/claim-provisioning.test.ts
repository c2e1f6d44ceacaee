import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CREATE_CERTIFICATE_FROM_CSR_TOPICS,
  DEFAULT_PROVISIONING_TEMPLATE,
  registerThingTopics,
} from '@coffee-iot/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWith, keyAndCsr, request } from '../../../local/src/provisioning/testing/mqtt-requests.js';
import type { LocalStack } from '../../../local/src/stack/local-stack.js';
import { eventually, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

const SERIAL = '20000000cafe0001';
const REGISTER = registerThingTopics(DEFAULT_PROVISIONING_TEMPLATE).request;

/**
 * Issue 15, provisioning by claim, on the whole local stack (`npm start` with no simulated
 * devices): the claim certificate of the stack's PKI, the serial allow-list in its registry
 * database, and a Pi that is not in the dev PKI becoming a thing whose telemetry the rule takes.
 */
describe('npm start: a Pi provisions itself with the claim certificate', () => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let stack: LocalStack;
  let ca: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dataDir = await tempDataDir();
    stack = await startTestStack(testStackOptions(dataDir.path, { devices: 0, shards: 1 }));
    ca = await readFile(join(dataDir.path, 'pki', 'ca.crt'), 'utf8');
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await stack?.stop();
    await dataDir?.remove();
  });

  async function claimConnection(clientId: string): Promise<MqttClient> {
    const [cert, key] = await Promise.all(
      [stack.claimCertificate.certPath, stack.claimCertificate.keyPath].map((path) => readFile(path, 'utf8')),
    );
    const client = await connectWith(
      { cert: cert as string, key: key as string, ca },
      stack.brokerPort,
      clientId,
    );
    clients.push(client);
    return client;
  }

  it('an allow-listed serial becomes coffee-pi-{serial}, whose certificate connects and sends telemetry', async () => {
    await stack.allowList.allow([SERIAL], 'first batch', new Date());
    const claim = await claimConnection('first-boot-1');
    const { keyPem, csrPem } = keyAndCsr();
    const created = await request(claim, CREATE_CERTIFICATE_FROM_CSR_TOPICS.request, {
      certificateSigningRequest: csrPem,
    });
    expect(created.accepted).toBe(true);
    const registered = await request(claim, REGISTER, {
      certificateOwnershipToken: created.body.certificateOwnershipToken,
      parameters: { SerialNumber: SERIAL },
    });
    const thingName = `coffee-pi-${SERIAL}`;
    expect(registered).toMatchObject({ accepted: true, body: { thingName } });

    const device = await connectWith(
      { cert: String(created.body.certificatePem), key: keyPem, ca },
      stack.brokerPort,
      thingName,
    );
    clients.push(device);
    const before = stack.counters().rule.matched;
    await device.publishAsync(
      `dt/coffee-iot/${thingName}/telemetry`,
      JSON.stringify({ deviceId: thingName, readings: [] }),
      { qos: 1 },
    );
    await eventually('the rule to see the new thing’s message', async () =>
      stack.counters().rule.matched > before ? true : undefined,
    );
    expect(stack.counters().provisioning).toMatchObject({ certificatesIssued: 1, thingsRegistered: 1 });
  });

  it('a serial that is not allow-listed is refused by the hook, and counted', async () => {
    const claim = await claimConnection('first-boot-2');
    const created = await request(claim, CREATE_CERTIFICATE_FROM_CSR_TOPICS.request, {
      certificateSigningRequest: keyAndCsr().csrPem,
    });
    const registered = await request(claim, REGISTER, {
      certificateOwnershipToken: created.body.certificateOwnershipToken,
      parameters: { SerialNumber: '20000000cafe0002' },
    });
    expect(registered).toMatchObject({ accepted: false, body: { statusCode: 403 } });
    expect(stack.counters().provisioning.hookRefusals).toEqual({ 'not-listed': 1 });
  });
});
