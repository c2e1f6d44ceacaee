import {
  DeleteCertificateCommand,
  DeleteThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  InvalidRequestException,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  ResourceNotFoundException,
  UnauthorizedException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deprovisionThing } from './deprovision-thing.js';
import { DeprovisionError, ThingNotFoundError } from './provision-errors.js';

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
const CERTIFICATE_ID = '4f8c3b6a9d2e1f0a7b5c8d3e6f9a2b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a';
const CERTIFICATE_ARN = `arn:aws:iot:${REGION}:123456789012:cert/${CERTIFICATE_ID}`;
const POLICY = 'CoffeeIot-DevicePolicy-1X2Y3Z4W5V6U';
const EXTRA_POLICY = 'CoffeeIotDebugPolicy';

const iotMock = mockClient(IoTClient);
const iot = new IoTClient({
  region: REGION,
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});
const delays: number[] = [];
const deps = {
  iot,
  sleep: async (ms: number) => {
    delays.push(ms);
  },
};
const options = { thingName: THING, region: REGION };

function iotCalls(): { name: string; input: unknown }[] {
  return iotMock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return { name: command.constructor.name.replace(/Command$/, ''), input: command.input };
  });
}

function answerAll() {
  iotMock.on(ListThingPrincipalsCommand).resolves({ principals: [CERTIFICATE_ARN] });
  iotMock.on(ListPrincipalThingsCommand).resolves({ things: [THING] });
  iotMock.on(ListAttachedPoliciesCommand).resolves({
    policies: [
      { policyName: POLICY, policyArn: `arn:aws:iot:${REGION}:123456789012:policy/${POLICY}` },
      { policyName: EXTRA_POLICY, policyArn: `arn:aws:iot:${REGION}:123456789012:policy/${EXTRA_POLICY}` },
    ],
  });
  iotMock.on(DetachThingPrincipalCommand).resolves({});
  iotMock.on(DetachPolicyCommand).resolves({});
  iotMock.on(UpdateCertificateCommand).resolves({});
  iotMock.on(DeleteCertificateCommand).resolves({});
  iotMock.on(DeleteThingCommand).resolves({});
}

beforeEach(() => {
  iotMock.reset();
  delays.length = 0;
  answerAll();
});
afterAll(() => iotMock.restore());

describe('deprovisionThing', () => {
  it('detaches and deletes each certificate, its policies first, then deletes the thing', async () => {
    const report = await deprovisionThing(deps, options);

    expect(iotCalls()).toEqual([
      { name: 'ListThingPrincipals', input: { thingName: THING } },
      { name: 'DetachThingPrincipal', input: { thingName: THING, principal: CERTIFICATE_ARN } },
      { name: 'ListPrincipalThings', input: { principal: CERTIFICATE_ARN } },
      { name: 'ListAttachedPolicies', input: { target: CERTIFICATE_ARN } },
      { name: 'DetachPolicy', input: { policyName: POLICY, target: CERTIFICATE_ARN } },
      { name: 'DetachPolicy', input: { policyName: EXTRA_POLICY, target: CERTIFICATE_ARN } },
      { name: 'UpdateCertificate', input: { certificateId: CERTIFICATE_ID, newStatus: 'INACTIVE' } },
      { name: 'DeleteCertificate', input: { certificateId: CERTIFICATE_ID } },
      { name: 'DeleteThing', input: { thingName: THING } },
    ]);
    expect(report).toEqual({
      thingName: THING,
      region: REGION,
      certificates: [
        {
          certificateId: CERTIFICATE_ID,
          certificateArn: CERTIFICATE_ARN,
          detachedPolicies: [POLICY, EXTRA_POLICY],
          deleted: true,
          sharedWith: [],
        },
      ],
      otherPrincipals: [],
    });
  });

  it('says an unknown thing is not there, and changes nothing', async () => {
    iotMock.on(ListThingPrincipalsCommand).rejects(
      new ResourceNotFoundException({
        message: `Thing ${THING} cannot be found.`,
        $metadata: { httpStatusCode: 404 },
      }),
    );

    const error = await deprovisionThing(deps, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ThingNotFoundError);
    expect((error as Error).message).toBe(`thing ${THING} not found in ${REGION}; nothing was changed`);
    expect(iotCalls().map((call) => call.name)).toEqual(['ListThingPrincipals']);
  });

  it('keeps a certificate another thing still uses, only detaching it from this one', async () => {
    iotMock.on(ListPrincipalThingsCommand).resolves({ things: [THING, 'coffee-pi-02'] });

    const report = await deprovisionThing(deps, options);

    expect(iotCalls().map((call) => call.name)).toEqual([
      'ListThingPrincipals',
      'DetachThingPrincipal',
      'ListPrincipalThings',
      'DeleteThing',
    ]);
    expect(report.certificates[0]).toMatchObject({ deleted: false, sharedWith: ['coffee-pi-02'] });
  });

  it('reads every page of principals', async () => {
    const second = CERTIFICATE_ARN.replace(CERTIFICATE_ID, 'b'.repeat(64));
    iotMock
      .on(ListThingPrincipalsCommand, { thingName: THING })
      .resolvesOnce({ principals: [CERTIFICATE_ARN], nextToken: 'page-2' })
      .resolvesOnce({ principals: [second] });

    const report = await deprovisionThing(deps, options);

    expect(report.certificates.map((certificate) => certificate.certificateArn)).toEqual([
      CERTIFICATE_ARN,
      second,
    ]);
    expect(iotMock.commandCalls(ListThingPrincipalsCommand)[1]?.args[0].input).toEqual({
      thingName: THING,
      nextToken: 'page-2',
    });
  });

  it('deletes a thing without certificates', async () => {
    iotMock.on(ListThingPrincipalsCommand).resolves({ principals: [] });
    const report = await deprovisionThing(deps, options);
    expect(iotCalls().map((call) => call.name)).toEqual(['ListThingPrincipals', 'DeleteThing']);
    expect(report.certificates).toEqual([]);
  });

  it('retries deleting the thing while the detachment propagates', async () => {
    iotMock
      .on(DeleteThingCommand)
      .rejectsOnce(
        new InvalidRequestException({
          message: `Cannot delete. Thing ${THING} is still attached to one or more principals`,
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .rejectsOnce(
        new InvalidRequestException({
          message: `Cannot delete. Thing ${THING} is still attached to one or more principals`,
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves({});

    await deprovisionThing(deps, options);

    expect(delays).toEqual([1000, 2000]);
    expect(iotMock.commandCalls(DeleteThingCommand)).toHaveLength(3);
  });

  it('says what was done and how to finish when a step fails half-way', async () => {
    const denied = new UnauthorizedException({
      message: 'Access Denied',
      $metadata: { httpStatusCode: 401 },
    });
    iotMock.on(DetachPolicyCommand, { policyName: EXTRA_POLICY }).rejects(denied);

    const error = await deprovisionThing(deps, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeprovisionError);
    expect((error as Error).cause).toBe(denied);
    expect((error as Error).message.split('\n')).toEqual([
      `deprovisioning ${THING} failed at: detach policy ${EXTRA_POLICY} from certificate ${CERTIFICATE_ID}: UnauthorizedException: Access Denied`,
      `Done: detach certificate ${CERTIFICATE_ID} from thing ${THING}; detach policy ${POLICY} from certificate ${CERTIFICATE_ID}.`,
      'Left to do:',
      `  aws iot detach-policy --policy-name ${EXTRA_POLICY} --target ${CERTIFICATE_ARN} --region ${REGION}`,
      `  aws iot update-certificate --certificate-id ${CERTIFICATE_ID} --new-status INACTIVE --region ${REGION} && ` +
        `aws iot delete-certificate --certificate-id ${CERTIFICATE_ID} --region ${REGION}`,
      `  then: coffee-iot deprovision ${THING} --region ${REGION}`,
    ]);
    expect(iotMock.commandCalls(DeleteThingCommand)).toHaveLength(0);
  });

  it('asks to check for other things first when it could not list them', async () => {
    iotMock
      .on(ListPrincipalThingsCommand)
      .rejects(new UnauthorizedException({ message: 'Access Denied', $metadata: { httpStatusCode: 401 } }));

    const error = await deprovisionThing(deps, options).catch((e: unknown) => e);

    expect((error as Error).message.split('\n').slice(2)).toEqual([
      'Left to do:',
      `  if no other thing uses certificate ${CERTIFICATE_ID} (aws iot list-principal-things --principal ${CERTIFICATE_ARN} --region ${REGION}):`,
      `  aws iot list-attached-policies --target ${CERTIFICATE_ARN} --region ${REGION}, then detach each policy`,
      `  aws iot update-certificate --certificate-id ${CERTIFICATE_ID} --new-status INACTIVE --region ${REGION} && ` +
        `aws iot delete-certificate --certificate-id ${CERTIFICATE_ID} --region ${REGION}`,
      `  then: coffee-iot deprovision ${THING} --region ${REGION}`,
    ]);
    expect(iotMock.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
  });

  it('gives the delete-thing command when only deleting the thing failed', async () => {
    iotMock
      .on(DeleteThingCommand)
      .rejects(new UnauthorizedException({ message: 'Access Denied', $metadata: { httpStatusCode: 401 } }));

    const error = await deprovisionThing(deps, options).catch((e: unknown) => e);

    expect((error as Error).message.split('\n').slice(-2)).toEqual([
      'Left to do:',
      `  aws iot delete-thing --thing-name ${THING} --region ${REGION}`,
    ]);
  });
});
