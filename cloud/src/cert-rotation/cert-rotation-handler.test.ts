import { DescribeCertificateCommand, IoTClient, ListPrincipalThingsCommand } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

/*
 * The rotation Lambda's handler as Lambda runs it: environment read at start, the SDK client
 * created once. IoT answers in the API reference's shapes (aws-sdk-client-mock); the scenarios
 * themselves run on moto_server in test/src/cert-rotation/.
 */
const iot = mockClient(IoTClient);
const NEW = 'a'.repeat(64);
const OLD = 'b'.repeat(64);
const report = {
  phase: 'issued',
  certificateId: NEW,
  previousCertificateId: OLD,
  thing: 'coffee-pi-1',
  principal: OLD,
};

let handler: (event: unknown) => Promise<{ outcome: string }>;

beforeAll(async () => {
  vi.stubEnv('DEVICE_POLICY_NAME', 'DevicePolicy');
  vi.stubEnv('LOG_LEVEL', 'silent');
  ({ handler } = await import('../handlers/cert-rotation.js'));
});

afterAll(() => {
  vi.unstubAllEnvs();
  iot.restore();
});

beforeEach(() => iot.reset());

describe('cert-rotation handler', () => {
  it('answers a malformed report without calling IoT: a retry would refuse it again', async () => {
    expect(await handler({ thing: 'coffee-pi-1', phase: 'revoked' })).toMatchObject({ outcome: 'malformed' });
    expect(iot.calls()).toHaveLength(0);
  });

  it('answers a refusal (a certificate another thing holds) without throwing', async () => {
    iot.on(DescribeCertificateCommand).resolves({
      certificateDescription: {
        certificateId: NEW,
        certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${NEW}`,
        status: 'ACTIVE',
      },
    });
    iot.on(ListPrincipalThingsCommand).resolves({ things: ['coffee-pi-2'] });
    expect(await handler(report)).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('coffee-pi-2'),
    });
  });

  it('throws an IoT failure so Lambda retries the event, then keeps it in the failure queue', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    iot.on(DescribeCertificateCommand).rejects(throttled);
    await expect(handler(report)).rejects.toThrow('Rate exceeded');
  });

  it('reads an unknown certificate (ResourceNotFoundException) as a refusal', async () => {
    const missing = Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
    iot.on(DescribeCertificateCommand).rejects(missing);
    expect(await handler(report)).toMatchObject({
      outcome: 'refused',
      reason: `no certificate ${NEW} exists`,
    });
  });
});
