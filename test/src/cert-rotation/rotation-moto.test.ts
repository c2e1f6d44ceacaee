import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreatePolicyCommand,
  CreateThingCommand,
  IoTClient,
  RegisterCertificateWithoutCACommand,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe } from 'vitest';
import { awsRotationIot } from '../../../cloud/src/cert-rotation/aws-rotation-iot.js';
import { MOTO_SERVER_BIN, MOTO_SKIP_REASON, MotoServer } from '../harness/moto-server.js';
import { describeCertificateRotation } from './rotation-contract.js';

/*
 * The rotation Lambda's IoT adapter against moto_server's IoT: every call rotation makes
 * (DescribeCertificate, ListPrincipalThings, ListAttachedPolicies, ListThingPrincipals, Attach/
 * DetachPolicy, Attach/DetachThingPrincipal, UpdateCertificate) is one moto 5 implements.
 */
const REGION = 'eu-west-1';
const POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

/** More than any one test registers; moto forgets them at each reset, so every test reuses them. */
const CERTIFICATES_PER_TEST = 6;

if (MOTO_SERVER_BIN === undefined) console.warn(MOTO_SKIP_REASON);

let moto: MotoServer | undefined;
let client: IoTClient | undefined;
let pems: string[] = [];

/**
 * Self-signed P-256 certificates from openssl, registered with RegisterCertificateWithoutCA in the
 * status each test needs: moto's own CreateKeysAndCertificate makes an RSA-2048 key per call,
 * which cost a third of a second each.
 */
async function makePems(count: number): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-rotation-'));
  try {
    return await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const [cert, key] = [join(dir, `${i}.pem`), join(dir, `${i}.key`)];
        await promisify(execFile)('openssl', [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-subj',
          `/CN=coffee-iot rotation test ${i}`,
          '-days',
          '2',
          '-keyout',
          key,
          '-out',
          cert,
        ]);
        return readFile(cert, 'utf8');
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  if (MOTO_SERVER_BIN === undefined) return;
  [moto, pems] = await Promise.all([MotoServer.start(), makePems(CERTIFICATES_PER_TEST)]);
  client = new IoTClient(moto.clientConfig(REGION));
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

describe.skipIf(MOTO_SERVER_BIN === undefined)('moto_server', () => {
  describeCertificateRotation('moto_server (AWS adapter)', async () => {
    const iot = client as IoTClient;
    await moto?.reset();
    let next = 0;
    return {
      iot: awsRotationIot(iot),
      createThing: async (thingName) => {
        await iot.send(new CreateThingCommand({ thingName }));
      },
      createPolicy: async (policyName) => {
        await iot.send(new CreatePolicyCommand({ policyName, policyDocument: POLICY_DOCUMENT }));
      },
      createCertificate: async (status) => {
        const certificatePem = pems[next++];
        if (certificatePem === undefined)
          throw new Error(`a test needs more than ${CERTIFICATES_PER_TEST} certificates`);
        // PENDING_ACTIVATION is what CreateCertificateFromCsr leaves in AWS.
        const made = await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem, status }));
        return {
          certificateId: made.certificateId as string,
          certificateArn: made.certificateArn as string,
          status,
        };
      },
      cleanup: async () => {},
    };
  });
});
