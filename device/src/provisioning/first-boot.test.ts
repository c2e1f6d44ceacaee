import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREATE_CERTIFICATE_FROM_CSR_TOPICS, registerThingTopics } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateIdOf } from '../certificates/certificate-id.js';
import type { AgentConfig } from '../config/agent-config.js';
import { loadConfig } from '../config/load-config.js';
import { EXIT_PROVISIONING_REFUSED, EXIT_USAGE, exitCodeFor } from '../exit-codes.js';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { TestCa } from '../testing/test-ca.js';
import type { MqttConnectionOptions } from '../transport/transport-port.js';
import { ProvisioningRefusedError } from './claim-provisioning.js';
import { provisionIfNeeded } from './first-boot.js';

const TEMPLATE = 'coffee-iot-fleet';
const ca = new TestCa();
afterAll(() => ca.dispose());

/** IoT Core with a hook allowing one serial. */
function fakeIot(allowed: string): FakeTransport {
  const iot = new FakeTransport();
  const register = registerThingTopics(TEMPLATE);
  iot.onPublish = (topic, payload) => {
    const body = JSON.parse(payload) as Record<string, unknown>;
    if (topic === CREATE_CERTIFICATE_FROM_CSR_TOPICS.request) {
      const certificatePem = ca.sign(String(body.certificateSigningRequest));
      iot.deliver(CREATE_CERTIFICATE_FROM_CSR_TOPICS.accepted, {
        certificateId: certificateIdOf(certificatePem),
        certificatePem,
        certificateOwnershipToken: 'token',
      });
    } else if (topic === register.request) {
      const serial = (body.parameters as Record<string, string>).SerialNumber;
      if (serial === allowed)
        iot.deliver(register.accepted, { thingName: `coffee-pi-${serial}`, deviceConfiguration: {} });
      else
        iot.deliver(register.rejected, {
          statusCode: 403,
          errorCode: 'AccessDenied',
          errorMessage: 'not allowed',
        });
    }
  };
  return iot;
}

describe('first boot of a claim image', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'first-boot-'));
    for (const name of ['ca.pem', 'claim.pem', 'claim.key'])
      writeFileSync(join(dir, name), 'pem', { mode: 0o600 });
    writeFileSync(
      join(dir, 'agent.json'),
      JSON.stringify({
        endpoint: 'localhost',
        rootCa: 'ca.pem',
        stateDir: 'state',
        provisioning: { claimCert: 'claim.pem', claimKey: 'claim.key', templateName: TEMPLATE },
      }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (): AgentConfig => loadConfig({ configPath: join(dir, 'agent.json'), env: {} }).config;

  it('provisions with the claim certificate under the serial, then runs as the new thing; the next start reads it back', async () => {
    const iot = fakeIot('00000000a1b2c3d4');
    const claimConnections: MqttConnectionOptions[] = [];
    const config = await provisionIfNeeded(load(), {
      logger: silentLogger(),
      clock: systemClock,
      timers: systemTimers,
      readText: async () => 'processor\t: 0\nSerial\t\t: 00000000a1b2c3d4\n',
      createClaimTransport: async (options) => {
        claimConnections.push(options);
        return iot;
      },
    });
    expect(claimConnections).toEqual([
      expect.objectContaining({
        clientId: '00000000a1b2c3d4',
        certPath: join(dir, 'claim.pem'),
        keyPath: join(dir, 'claim.key'),
      }),
    ]);
    expect(config).toMatchObject({
      thingName: 'coffee-pi-00000000a1b2c3d4',
      cert: join(dir, 'state', 'identity', 'cert.pem'),
      key: join(dir, 'state', 'identity', 'key.pem'),
    });
    // The next start: loadConfig finds the identity, and nothing is provisioned again.
    const again = load();
    expect(again).toMatchObject({ thingName: config.thingName, cert: config.cert, key: config.key });
    expect(
      await provisionIfNeeded(again, { logger: silentLogger(), clock: systemClock, timers: systemTimers }),
    ).toBe(again);
  });

  it('a refused serial stops the agent with the dedicated exit code', async () => {
    const attempt = provisionIfNeeded(load(), {
      logger: silentLogger(),
      clock: systemClock,
      timers: systemTimers,
      readText: async () => 'ffff\0',
      createClaimTransport: async () => fakeIot('00000000a1b2c3d4'),
    });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProvisioningRefusedError);
    expect(exitCodeFor(error)).toBe(EXIT_PROVISIONING_REFUSED);
    expect(load().thingName).toBe('');
  });

  it('no serial number anywhere is a configuration problem', async () => {
    const error = await provisionIfNeeded(load(), {
      logger: silentLogger(),
      clock: systemClock,
      timers: systemTimers,
      readText: async (path) => {
        throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      },
      createClaimTransport: async () => fakeIot('x'),
    }).catch((caught: unknown) => caught);
    expect(exitCodeFor(error)).toBe(EXIT_USAGE);
  });
});
