import { X509Certificate } from 'node:crypto';
import {
  CREATE_CERTIFICATE_FROM_CSR_TOPICS,
  DEFAULT_PROVISIONING_TEMPLATE,
  DEFAULT_TOPIC_PREFIX,
  registerThingTopics,
} from '@coffee-iot/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureClaimCertificate, ensureDevPki } from '../pki/pki.js';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { connectWith, keyAndCsr, request, type TlsIdentity } from './testing/mqtt-requests.js';
import { type ProvisioningFixture, startProvisioningFixture } from './testing/provisioning-fixture.js';

const CSR = CREATE_CERTIFICATE_FROM_CSR_TOPICS.request;
const REGISTER = registerThingTopics(DEFAULT_PROVISIONING_TEMPLATE).request;
const THINGS = ['coffee-pi-1', 'coffee-pi-2'];
const SERIAL = '10000000abcdef01';

describe('fleet provisioning and certificate rotation on the embedded broker', () => {
  let pkiTemp: TempDir;
  let temp: TempDir;
  let stack: ProvisioningFixture;
  const logs = captureLogs();
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    // One PKI for every test (RSA keys are the slow part); registry, database and broker are fresh.
    pkiTemp = await tempDir('provisioning-pki');
    await ensureClaimCertificate((await ensureDevPki(pkiTemp.dir, { thingNames: THINGS })).dir);
  });

  afterAll(async () => {
    await pkiTemp?.remove();
  });

  beforeEach(async () => {
    logs.lines.length = 0;
    temp = await tempDir('provisioning');
    stack = await startProvisioningFixture(temp.dir, THINGS, logs.logger, { pkiDir: pkiTemp.dir });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
    await stack?.stop();
    await temp?.remove();
  });

  async function open(identity: TlsIdentity, clientId: string): Promise<MqttClient> {
    const client = await connectWith(identity, stack.broker.port, clientId);
    clients.push(client);
    return client;
  }

  /** CreateCertificateFromCsr on `client`; the new identity (key kept here) and the accepted answer. */
  async function newCertificate(client: MqttClient) {
    const { keyPem, csrPem } = keyAndCsr();
    const answer = await request(client, CSR, { certificateSigningRequest: csrPem });
    expect(answer.accepted, JSON.stringify(answer.body)).toBe(true);
    const identity: TlsIdentity = { cert: String(answer.body.certificatePem), key: keyPem, ca: stack.caPem };
    return { identity, body: answer.body as { certificateId: string; certificateOwnershipToken: string } };
  }

  async function refusedConnect(identity: TlsIdentity, clientId: string): Promise<unknown> {
    const error = await connectWith(identity, stack.broker.port, clientId).then(
      (client) => {
        clients.push(client);
        return null;
      },
      (failure: unknown) => failure,
    );
    expect(error, `${clientId} connected but should have been refused`).not.toBeNull();
    return error;
  }

  /** A round trip on `client` (its own topic), so anything the broker sent it before has arrived. */
  async function settle(client: MqttClient, thing: string): Promise<void> {
    const topic = `${DEFAULT_TOPIC_PREFIX}/${thing}/settle`;
    await client.subscribeAsync(topic, { qos: 1 });
    const back = new Promise<void>((resolve) => client.once('message', () => resolve()));
    await client.publishAsync(topic, 'x', { qos: 1 });
    await back;
  }

  describe('CreateCertificateFromCsr', () => {
    it('signs the CSR with the dev CA; the id is the SHA-256 of the DER; the certificate connects once attached', async () => {
      const device = await open(await stack.identity('coffee-pi-1'), 'coffee-pi-1');
      const { identity, body } = await newCertificate(device);
      const x509 = new X509Certificate(String(identity.cert));
      expect(x509.verify(new X509Certificate(stack.caPem).publicKey)).toBe(true);
      expect(
        x509.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(identity.key))),
      ).toBe(true);
      expect(body.certificateId).toBe(x509.fingerprint256.replaceAll(':', '').toLowerCase());
      expect(stack.registry.get(body.certificateId)).toMatchObject({ status: 'PENDING', thingName: null });

      // PENDING and attached to nothing: IoT Core refuses it until it is attached and active.
      await refusedConnect(identity, 'coffee-pi-1');
      const report = `${DEFAULT_TOPIC_PREFIX}/coffee-pi-1/certificate`;
      const attached = await request(device, report, { phase: 'issued', certificateId: body.certificateId });
      expect(attached).toMatchObject({ accepted: true, body: { outcome: 'attached' } });
      await expect(open(identity, 'coffee-pi-1')).resolves.toBeDefined();
    });

    it('answers only the connection that asked: another device subscribed to the answer topic receives nothing', async () => {
      const asker = await open(await stack.identity('coffee-pi-1'), 'coffee-pi-1');
      const eavesdropper = await open(await stack.identity('coffee-pi-2'), 'coffee-pi-2');
      const claimHolder = await open(stack.claim, 'claim-eavesdropper');
      const overheard: string[] = [];
      // Both subscriptions are within their policies: the answer topics are theirs to ask on too.
      const spies: [MqttClient, string[]][] = [
        [eavesdropper, [`${CSR}/accepted`, `${CSR}/rejected`]],
        [claimHolder, [`${CSR}/accepted`, `${CSR}/rejected`, `${REGISTER}/accepted`, `${REGISTER}/rejected`]],
      ];
      for (const [spy, filters] of spies) {
        const granted = await spy.subscribeAsync(filters, { qos: 1 });
        expect(granted.map((g) => g.qos)).toEqual(filters.map(() => 1));
        spy.on('message', (topic) => {
          if (topic.startsWith('$aws/')) overheard.push(topic);
        });
      }
      await newCertificate(asker);
      const refused = await request(asker, CSR, { certificateSigningRequest: 'not a CSR' });
      expect(refused).toMatchObject({ accepted: false, body: { statusCode: 400, errorCode: 'InvalidCsr' } });
      await settle(eavesdropper, 'coffee-pi-2');
      expect(overheard).toEqual([]);
    });

    it('refuses a CSR whose signature does not match its key', async () => {
      const device = await open(await stack.identity('coffee-pi-1'), 'coffee-pi-1');
      const { csrPem } = keyAndCsr();
      const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
      der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff; // inside the signature
      const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      const answer = await request(device, CSR, { certificateSigningRequest: tampered });
      expect(answer).toMatchObject({ accepted: false, body: { errorCode: 'InvalidCsr' } });
      expect(stack.service.counters.certificatesIssued).toBe(0);
    });
  });

  describe('RegisterThing with the claim certificate', () => {
    async function provision(clientId: string, serial: string) {
      const claim = await open(stack.claim, clientId);
      const { identity, body } = await newCertificate(claim);
      const answer = await request(claim, REGISTER, {
        certificateOwnershipToken: body.certificateOwnershipToken,
        parameters: { SerialNumber: serial },
      });
      return { claim, identity, body, answer };
    }

    it('provisions an allow-listed serial: thing coffee-pi-{serial} in the registry database, its certificate connects', async () => {
      await stack.allowList.allow([SERIAL], 'test batch', new Date());
      const { identity, body, answer } = await provision('claim-1', SERIAL);
      const thingName = `coffee-pi-${SERIAL}`;
      expect(answer).toEqual({
        accepted: true,
        body: { thingName, deviceConfiguration: { topicPrefix: DEFAULT_TOPIC_PREFIX } },
      });
      expect(await stack.devices.getDevice(thingName)).toMatchObject({ thingName });
      expect(stack.registry.get(body.certificateId)).toMatchObject({ status: 'ACTIVE', thingName });
      const [listed] = await stack.allowList.list();
      expect(listed).toMatchObject({ serial: SERIAL, certificateId: body.certificateId });

      const device = await open(identity, thingName);
      await settle(device, thingName);
      // The claim certificate never passes as the device: not with the device's client id (that would
      // also drop the device's own connection), and under another client id it gets none of its topics.
      await refusedConnect(stack.claim, thingName);
      expect(stack.registry.refusals.claimAsThing).toBe(1);
      await settle(device, thingName);
      const impostor = await open(stack.claim, 'claim-impostor');
      await expect(impostor.subscribeAsync(`${DEFAULT_TOPIC_PREFIX}/${thingName}/#`)).rejects.toThrow();
    });

    it('refuses an unknown serial in the hook: no thing, the certificate stays unusable', async () => {
      const { identity, body, answer } = await provision('claim-1', '00000000deadbeef');
      expect(answer).toMatchObject({ accepted: false, body: { statusCode: 403, errorCode: 'AccessDenied' } });
      expect(stack.service.counters.hookRefusals).toEqual({ 'not-listed': 1 });
      expect(await stack.devices.listDevices()).toEqual([]);
      expect(stack.registry.get(body.certificateId)).toMatchObject({ status: 'PENDING', thingName: null });
      await refusedConnect(identity, 'coffee-pi-00000000deadbeef');
      const warned = logs.lines.find((line) => line.outcome === 'not-listed');
      expect(warned).toMatchObject({
        level: LEVEL.warn,
        reason: 'serial 00000000deadbeef is not on the allow-list',
      });
    });

    it('refuses a serial already provisioned with another certificate', async () => {
      await stack.allowList.allow([SERIAL], null, new Date());
      expect((await provision('claim-1', SERIAL)).answer.accepted).toBe(true);
      const second = await provision('claim-2', SERIAL);
      expect(second.answer).toMatchObject({ accepted: false, body: { errorCode: 'AccessDenied' } });
      expect(stack.service.counters.hookRefusals).toEqual({ 'already-used': 1 });
      await refusedConnect(second.identity, `coffee-pi-${SERIAL}`);
    });

    it('refuses an ownership token redeemed by another connection, and one already used', async () => {
      await stack.allowList.allow([SERIAL], null, new Date());
      const owner = await open(stack.claim, 'claim-owner');
      const thief = await open(stack.claim, 'claim-thief');
      const { body } = await newCertificate(owner);
      const stolen = await request(thief, REGISTER, {
        certificateOwnershipToken: body.certificateOwnershipToken,
        parameters: { SerialNumber: SERIAL },
      });
      expect(stolen).toMatchObject({
        accepted: false,
        body: {
          errorCode: 'InvalidCertificateOwnershipToken',
          errorMessage: expect.stringContaining('another connection'),
        },
      });
      const registered = {
        certificateOwnershipToken: body.certificateOwnershipToken,
        parameters: { SerialNumber: SERIAL },
      };
      expect((await request(owner, REGISTER, registered)).accepted).toBe(true);
      expect((await request(owner, REGISTER, registered)).body).toMatchObject({
        errorCode: 'InvalidCertificateOwnershipToken',
      });
    });
  });

  describe('certificate rotation', () => {
    const thing = 'coffee-pi-1';
    const report = `${DEFAULT_TOPIC_PREFIX}/${thing}/certificate`;

    it('refuses the old certificate at CONNECT only after the new one has connected', async () => {
      const oldIdentity = await stack.identity(thing);
      const old = await open(oldIdentity, thing);
      const { identity, body } = await newCertificate(old);
      expect(
        (await request(old, report, { phase: 'issued', certificateId: body.certificateId })).accepted,
      ).toBe(true);
      await old.endAsync();
      // Attached and active, not yet confirmed: both certificates connect (the device may fall back).
      await (await open(oldIdentity, thing)).endAsync();
      const fresh = await open(identity, thing);
      const refusalsBefore = stack.broker.policyRefusals.connect;
      const retired = await request(fresh, report, { phase: 'connected', certificateId: body.certificateId });
      expect(retired).toMatchObject({ accepted: true, body: { outcome: 'retired' } });
      const oldId =
        stack.registry.certificatesOf(thing).length === 1 ? (retired.body.retired as string[])[0] : '';
      expect(stack.registry.get(oldId ?? '')).toMatchObject({ status: 'INACTIVE', thingName: null });
      expect(await refusedConnect(oldIdentity, thing)).toMatchObject({ code: 5 });
      expect(stack.broker.policyRefusals.connect).toBe(refusalsBefore + 1);
      expect(stack.registry.refusals.notActive).toBe(1);
      await settle(fresh, thing);
    });

    it('keeps the registry across a restart: the retired certificate stays refused, the new one connects', async () => {
      const oldIdentity = await stack.identity(thing);
      const old = await open(oldIdentity, thing);
      const { identity, body } = await newCertificate(old);
      await request(old, report, { phase: 'issued', certificateId: body.certificateId });
      const fresh = await open(identity, thing);
      await request(fresh, report, { phase: 'connected', certificateId: body.certificateId });
      await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
      await stack.stop();

      // The restart registers the dev-PKI certificates again: a known one keeps its INACTIVE status.
      stack = await startProvisioningFixture(temp.dir, THINGS, logs.logger, { pkiDir: pkiTemp.dir });
      expect(stack.registry.certificatesOf(thing).map((c) => c.certificateId)).toEqual([body.certificateId]);
      expect(await refusedConnect(oldIdentity, thing)).toMatchObject({ code: 5 });
      await settle(await open(identity, thing), thing);
    });

    it('admits the new certificate as soon as the "issued" report is acknowledged (PUBACK), before any answer', async () => {
      const old = await open(await stack.identity(thing), thing);
      const { identity, body } = await newCertificate(old);
      await old.publishAsync(report, JSON.stringify({ phase: 'issued', certificateId: body.certificateId }), {
        qos: 1,
      });
      await settle(await open(identity, thing), thing);
    });

    it('refuses a "connected" report not sent with the certificate it names', async () => {
      const old = await open(await stack.identity(thing), thing);
      const { body } = await newCertificate(old);
      await request(old, report, { phase: 'issued', certificateId: body.certificateId });
      const answer = await request(old, report, { phase: 'connected', certificateId: body.certificateId });
      expect(answer).toMatchObject({
        accepted: false,
        body: { reason: expect.stringContaining('only a connection made with the new certificate') },
      });
      expect(stack.registry.certificatesOf(thing).map((c) => c.status)).toEqual(['ACTIVE', 'ACTIVE']);
      expect(stack.service.counters.rotationReportsRefused).toBe(1);
    });

    it('refuses to attach a certificate another thing asked for, or one attached to another thing', async () => {
      const victim = await open(await stack.identity('coffee-pi-1'), 'coffee-pi-1');
      const attacker = await open(await stack.identity('coffee-pi-2'), 'coffee-pi-2');
      const attackerReport = `${DEFAULT_TOPIC_PREFIX}/coffee-pi-2/certificate`;
      const { body } = await newCertificate(victim);
      const grab = await request(attacker, attackerReport, {
        phase: 'issued',
        certificateId: body.certificateId,
      });
      expect(grab).toMatchObject({
        accepted: false,
        body: { reason: expect.stringContaining('requested by another connection') },
      });
      await request(victim, report, { phase: 'issued', certificateId: body.certificateId });
      const again = await request(attacker, attackerReport, {
        phase: 'issued',
        certificateId: body.certificateId,
      });
      expect(again).toMatchObject({
        accepted: false,
        body: { reason: expect.stringContaining('belongs to another thing') },
      });
      expect(stack.registry.get(body.certificateId)).toMatchObject({
        thingName: 'coffee-pi-1',
        status: 'ACTIVE',
      });
      // coffee-pi-2's own dev-PKI certificate cannot be handed to coffee-pi-1 either.
      const devPki = stack.registry.certificatesOf('coffee-pi-2')[0]?.certificateId;
      const steal = await request(victim, report, { phase: 'issued', certificateId: devPki });
      expect(steal.accepted).toBe(false);
      expect(logs.lines.filter((line) => line.msg === 'certificate rotation report refused')).toHaveLength(3);
    });
  });
});
