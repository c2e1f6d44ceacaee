import {
  DeleteCertificateCommand,
  DeleteThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  ResourceNotFoundException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEPROVISION_USAGE, type DeprovisionClients, runDeprovision } from './deprovision.js';

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
const CERTIFICATE_ID = '4f8c3b6a9d2e1f0a7b5c8d3e6f9a2b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a';
const CERTIFICATE_ARN = `arn:aws:iot:${REGION}:123456789012:cert/${CERTIFICATE_ID}`;

const iotMock = mockClient(IoTClient);
let askedRegions: (string | undefined)[] = [];
const clients: DeprovisionClients = {
  iot: (region) => {
    askedRegions.push(region);
    return new IoTClient({
      region: region ?? REGION,
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    });
  },
};

async function deprovision(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runDeprovision(
    argv,
    {
      env: {},
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    clients,
  );
  return { code, stdout, stderr };
}

beforeEach(() => {
  iotMock.reset();
  askedRegions = [];
  iotMock.on(ListThingPrincipalsCommand).resolves({ principals: [CERTIFICATE_ARN] });
  iotMock.on(ListPrincipalThingsCommand).resolves({ things: [THING] });
  iotMock.on(ListAttachedPoliciesCommand).resolves({
    policies: [
      {
        policyName: 'CoffeeIotDevicePolicy',
        policyArn: `arn:aws:iot:${REGION}:123456789012:policy/CoffeeIotDevicePolicy`,
      },
    ],
  });
  iotMock.on(DetachThingPrincipalCommand).resolves({});
  iotMock.on(DetachPolicyCommand).resolves({});
  iotMock.on(UpdateCertificateCommand).resolves({});
  iotMock.on(DeleteCertificateCommand).resolves({});
  iotMock.on(DeleteThingCommand).resolves({});
});
afterAll(() => iotMock.restore());

describe('coffee-iot deprovision', () => {
  it('removes the certificate and the thing and says so', async () => {
    const run = await deprovision([THING, '--region', REGION]);

    expect(run).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `Deprovisioned ${THING} in ${REGION}:`,
        `  certificate ${CERTIFICATE_ID}: detached, policies detached: CoffeeIotDevicePolicy, deactivated and deleted`,
        `  thing ${THING}: deleted`,
        '',
        `The device can no longer connect as ${THING}; its bundle (certificate and key) is of no use now.`,
        '',
      ].join('\n'),
    });
    expect(askedRegions).toEqual([REGION]);
    expect(iotMock.commandCalls(DeleteThingCommand)).toHaveLength(1);
  });

  it('fails with exit 1 for an unknown thing', async () => {
    iotMock.on(ListThingPrincipalsCommand).rejects(
      new ResourceNotFoundException({
        message: `Thing ${THING} cannot be found.`,
        $metadata: { httpStatusCode: 404 },
      }),
    );

    const run = await deprovision([THING]);

    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `coffee-iot deprovision: thing ${THING} not found in ${REGION}; nothing was changed\n`,
    });
  });

  it.each([
    [[], 'name the THING to deprovision (its AWS IoT thing name)'],
    [['coffee/pi'], 'THING "coffee/pi" is not a thing name'],
    [[THING, 'more'], 'unexpected arguments: more'],
    [[THING, '--stack', 'CoffeeIot'], "Unknown option '--stack'"],
    [[THING, '--region', 'eu_west_1'], '--region "eu_west_1" is not an AWS region name'],
  ])('refuses %j with exit 2', async (argv, message) => {
    const run = await deprovision(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`coffee-iot deprovision: ${message}`);
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('prints its usage for --help', async () => {
    expect(await deprovision(['-h'])).toEqual({ code: 0, stdout: DEPROVISION_USAGE, stderr: '' });
  });
});
