import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREATE_CERTIFICATE_FROM_CSR_TOPICS, registerThingTopics } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateIdOf, keyMatchesCertificate } from '../certificates/certificate-id.js';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { TestCa } from '../testing/test-ca.js';
import type { InboundMessageHandler } from '../transport/transport-port.js';
import { ProvisioningFailedError, ProvisioningRefusedError, provisionByClaim } from './claim-provisioning.js';
import { identityPaths, nodeIdentityWriterFs, parseIdentityRecord } from './identity-store.js';

const TEMPLATE = 'coffee-iot-fleet';
const REGISTER = registerThingTopics(TEMPLATE);
const CSR = CREATE_CERTIFICATE_FROM_CSR_TOPICS;
const ca = new TestCa();
afterAll(() => ca.dispose());

/** IoT Core's provisioning API with a pre-provisioning hook that allows the listed serials. */
class FakeProvisioning extends FakeTransport {
  readonly log: string[] = [];
  readonly issued: string[] = [];

  constructor(private readonly allowed: ReadonlySet<string>) {
    super();
    this.onPublish = (topic, payload) => this.answer(topic, JSON.parse(payload));
  }

  override async subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void> {
    this.log.push(`subscribe ${filter}`);
    return super.subscribe(filter, onMessage);
  }

  override publish(topic: string, payload: string | Uint8Array): Promise<void> {
    this.log.push(`publish ${topic}`);
    return super.publish(topic, payload);
  }

  private answer(topic: string, body: Record<string, unknown>): void {
    if (topic === CSR.request) {
      const certificatePem = ca.sign(String(body.certificateSigningRequest));
      this.issued.push(certificateIdOf(certificatePem));
      this.deliver(CSR.accepted, {
        certificateId: certificateIdOf(certificatePem),
        certificatePem,
        certificateOwnershipToken: `token-${this.issued.length}`,
      });
    } else if (topic === REGISTER.request) {
      const parameters = body.parameters as Record<string, string>;
      const serial = parameters.SerialNumber ?? '';
      if (body.certificateOwnershipToken !== `token-${this.issued.length}` || !this.allowed.has(serial)) {
        this.deliver(REGISTER.rejected, {
          statusCode: 403,
          errorCode: 'AccessDenied',
          errorMessage: `pre-provisioning hook refused serial ${serial}: not on the allow-list`,
        });
        return;
      }
      this.deliver(REGISTER.accepted, { thingName: `coffee-pi-${serial}`, deviceConfiguration: {} });
    }
  }
}

describe('provisionByClaim', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'claim-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  function provision(
    transport: FakeTransport,
    serialNumber: string,
    extra: Partial<Parameters<typeof provisionByClaim>[0]> = {},
  ) {
    return provisionByClaim({
      transport,
      templateName: TEMPLATE,
      serialNumber,
      stateDir,
      requestTimeoutMs: 5000,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
      ...extra,
    });
  }

  it('an allowed serial gets its own key, certificate and thing, stored together', async () => {
    const iot = new FakeProvisioning(new Set(['a1b2c3d4']));
    const identity = await provision(iot, 'a1b2c3d4');

    expect(identity.thingName).toBe('coffee-pi-a1b2c3d4');
    const paths = identityPaths(stateDir);
    expect(identity).toMatchObject({ cert: paths.cert, key: paths.key, certificateId: iot.issued[0] });
    const cert = readFileSync(paths.cert, 'utf8');
    expect(keyMatchesCertificate(cert, readFileSync(paths.key, 'utf8'))).toBe(true);
    expect(statSync(paths.key).mode & 0o777).toBe(0o600);
    expect(parseIdentityRecord(readFileSync(paths.record, 'utf8'))).toMatchObject({
      thingName: 'coffee-pi-a1b2c3d4',
      certificateId: certificateIdOf(cert),
    });
    // Both answers of each request are subscribed before it is published.
    expect(iot.log).toEqual([
      `subscribe ${CSR.accepted}`,
      `subscribe ${CSR.rejected}`,
      `publish ${CSR.request}`,
      `subscribe ${REGISTER.accepted}`,
      `subscribe ${REGISTER.rejected}`,
      `publish ${REGISTER.request}`,
    ]);
    expect(iot.connected).toBe(false);
    expect(readdirSync(stateDir)).toEqual(['identity']);
  });

  it('an unknown serial is refused with the reason, and nothing is written', async () => {
    const iot = new FakeProvisioning(new Set(['a1b2c3d4']));
    const attempt = provision(iot, 'ffff0000');
    await expect(attempt).rejects.toThrow(ProvisioningRefusedError);
    await expect(attempt).rejects.toThrow(
      /serial ffff0000: RegisterThing rejected: AccessDenied \(403\): pre-provisioning hook refused/,
    );
    expect(readdirSync(stateDir)).toEqual([]);
    expect(iot.connected).toBe(false);
  });

  it('a failure after CreateCertificateFromCsr, while writing, leaves no half-written identity; the next start provisions cleanly', async () => {
    const iot = new FakeProvisioning(new Set(['a1b2c3d4']));
    let writes = 0;
    const failing = {
      ...nodeIdentityWriterFs,
      async writeFile(path: string, data: string, mode: number) {
        writes += 1;
        // The key is on disk, the certificate is not: the moment a power cut would hurt most.
        if (writes === 2)
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return nodeIdentityWriterFs.writeFile(path, data, mode);
      },
    };
    await expect(provision(iot, 'a1b2c3d4', { writerFs: failing })).rejects.toThrow(ProvisioningFailedError);
    expect(iot.issued).toHaveLength(1);
    expect(readdirSync(stateDir)).toEqual([]);

    const identity = await provision(iot, 'a1b2c3d4');
    expect(identity.certificateId).toBe(iot.issued[1]);
    expect(readdirSync(stateDir)).toEqual(['identity']);
  });

  it('a power cut before the final rename leaves only a staging directory, removed at the next start', async () => {
    const iot = new FakeProvisioning(new Set(['a1b2c3d4']));
    let renamed = false;
    const cut = {
      ...nodeIdentityWriterFs,
      async rename() {
        renamed = true;
        throw new Error('power cut');
      },
    };
    await expect(provision(iot, 'a1b2c3d4', { writerFs: cut })).rejects.toThrow(ProvisioningFailedError);
    expect(renamed).toBe(true);
    expect(existsSync(identityPaths(stateDir).dir)).toBe(false);
    // A real power cut also skips the cleanup: the staging directory it would leave.
    mkdirSync(join(stateDir, 'identity.staging-999-1'));
    writeFileSync(join(stateDir, 'identity.staging-999-1', 'key.pem'), 'half');

    await provision(iot, 'a1b2c3d4');
    expect(readdirSync(stateDir)).toEqual(['identity']);
  });

  it('a claim certificate that cannot connect is a failure worth retrying, not a refusal', async () => {
    const iot = new FakeProvisioning(new Set(['a1b2c3d4']));
    iot.connectScript.push(new Error('TLS alert: certificate revoked'));
    await expect(provision(iot, 'a1b2c3d4')).rejects.toThrow(
      /could not connect with the claim certificate: TLS alert: certificate revoked/,
    );
  });
});
