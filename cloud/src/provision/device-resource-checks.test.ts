import { GetRoleCommand, IAMClient, IAMServiceException, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  DescribeRoleAliasCommand,
  GetPolicyCommand,
  IoTClient,
  ThrottlingException,
  UnauthorizedException,
} from '@aws-sdk/client-iot';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  checkDeviceResources,
  type DeviceResourceContext,
  DeviceResourceError,
} from './device-resource-checks.js';

/*
 * What moto cannot answer: denied and throttled reads, a bucket of another account (403), a role
 * alias pointing to something that is not a role, trust policies and session lengths moto does
 * not enforce. The rest runs against moto_server in test/src/provision/provision-moto.test.ts.
 */

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
// A role with a path: GetRole takes the name alone.
const ROLE_ARN = 'arn:aws:iam::123456789012:role/coffee-iot/devices/CoffeeIot-PhotoUploadRole';
const ROLE_NAME = 'CoffeeIot-PhotoUploadRole';
/** The trust policy CDK writes for `assumedBy: new ServicePrincipal('credentials.iot.amazonaws.com')`. */
const TRUST_IOT = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'credentials.iot.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
};
/** GetRole's Role, as IAM answers it: the trust policy URL-encoded. */
function role(trust: object = TRUST_IOT, maxSessionDuration = 3600) {
  return {
    Path: '/coffee-iot/devices/',
    RoleName: ROLE_NAME,
    RoleId: 'AROAEXAMPLEID1234567',
    Arn: ROLE_ARN,
    CreateDate: new Date('2026-03-01T09:00:00.000Z'),
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)),
    MaxSessionDuration: maxSessionDuration,
  };
}
const RESOURCES = { policyName: 'DevicePolicy', roleAlias: 'PhotoUpload', bucket: 'coffee-photos' };
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };
const iotMock = mockClient(IoTClient);
const s3Mock = mockClient(S3Client);
const iamMock = mockClient(IAMClient);
const clients = {
  iot: new IoTClient({ region: REGION, credentials }),
  s3: new S3Client({ region: REGION, credentials }),
  iam: new IAMClient({ region: REGION, credentials }),
};
const fromFlags: DeviceResourceContext = {
  region: REGION,
  stackName: 'CoffeeIot',
  origins: { policyName: '--policy', roleAlias: '--role-alias', bucket: '--bucket' },
};

async function problems(): Promise<DeviceResourceError> {
  const error = await checkDeviceResources(clients, THING, RESOURCES, fromFlags).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DeviceResourceError);
  return error as DeviceResourceError;
}

describe('checkDeviceResources', () => {
  beforeEach(() => {
    iotMock.reset();
    s3Mock.reset();
    iamMock.reset();
    iotMock.on(GetPolicyCommand).resolves({ policyName: RESOURCES.policyName });
    iotMock.on(DescribeRoleAliasCommand).resolves({
      roleAliasDescription: {
        roleAlias: RESOURCES.roleAlias,
        roleArn: ROLE_ARN,
        owner: '123456789012',
        credentialDurationSeconds: 3600,
      },
    });
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: REGION });
    iamMock.on(GetRoleCommand).resolves({ Role: role() });
  });
  afterAll(() => {
    iotMock.restore();
    s3Mock.restore();
    iamMock.restore();
  });

  it('answers the role the role alias points to when all three are there', async () => {
    await expect(checkDeviceResources(clients, THING, RESOURCES, fromFlags)).resolves.toEqual({
      roleArn: ROLE_ARN,
    });
    expect(iotMock.commandCalls(GetPolicyCommand)[0]?.args[0].input).toEqual({ policyName: 'DevicePolicy' });
    expect(iotMock.commandCalls(DescribeRoleAliasCommand)[0]?.args[0].input).toEqual({
      roleAlias: 'PhotoUpload',
    });
    expect(s3Mock.commandCalls(HeadBucketCommand)[0]?.args[0].input).toEqual({ Bucket: 'coffee-photos' });
    expect(iamMock.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleName: ROLE_NAME },
    ]);
  });

  it('refuses a role alias whose role does not exist, saying how to recreate or repoint it', async () => {
    iamMock.on(GetRoleCommand).rejects(
      new NoSuchEntityException({
        message: `The role with name ${ROLE_NAME} cannot be found.`,
        $metadata: { httpStatusCode: 404 },
      }),
    );

    const error = await problems();

    expect(error.problems).toEqual([
      {
        resource: 'roleAlias',
        problem: `IoT role alias PhotoUpload (from --role-alias) points to IAM role ${ROLE_ARN}, which does not exist`,
        fix:
          'the role was deleted, or the alias names the wrong one: deploy the stack (cd infra && npx cdk deploy) ' +
          'to recreate its photo upload role, or point the alias at an existing role: ' +
          `aws iot update-role-alias --role-alias PhotoUpload --role-arn ROLE_ARN --region ${REGION}`,
      },
    ]);
  });

  it('names iam:GetRole when the credentials may not read the role, and keeps the AWS error', async () => {
    // IAM's AccessDenied is not modelled: the SDK raises it as IAMServiceException with that name.
    const denied = new IAMServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: `User: arn:aws:iam::123456789012:user/ops is not authorized to perform: iam:GetRole on resource: role ${ROLE_NAME}`,
      $metadata: { httpStatusCode: 403 },
    });
    iamMock.on(GetRoleCommand).rejects(denied);

    const error = await problems();

    expect(error.problems).toEqual([
      {
        resource: 'roleAlias',
        problem:
          `cannot read IAM role ${ROLE_NAME}, behind IoT role alias PhotoUpload (from --role-alias): ` +
          `AccessDenied: ${denied.message}`,
        fix:
          `the AWS credentials need iam:GetRole on ${ROLE_ARN} (provisioning reads the role to check ` +
          'that it exists and that the IoT credentials provider may assume it)',
        error: denied,
      },
    ]);
  });

  it.each([
    {
      trusts: 'another service',
      trust: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      reason: 'no statement allows it',
    },
    {
      trusts: 'the provider, but denies it too',
      trust: {
        Version: '2012-10-17',
        Statement: [
          TRUST_IOT.Statement[0],
          { Effect: 'Deny', Principal: { Service: 'credentials.iot.amazonaws.com' }, Action: 'sts:*' },
        ],
      },
      reason: 'a statement denies it',
    },
  ])('refuses a role that trusts $trusts: IoT could never assume it', async ({ trust, reason }) => {
    iamMock.on(GetRoleCommand).resolves({ Role: role(trust) });

    const error = await problems();

    expect(error.problems).toEqual([
      {
        resource: 'roleAlias',
        problem:
          `IAM role ${ROLE_ARN}, behind IoT role alias PhotoUpload (from --role-alias), does not let ` +
          `credentials.iot.amazonaws.com assume it (${reason}: the IoT credentials provider could never ` +
          'hand a device credentials, so no photo would upload)',
        fix:
          'allow sts:AssumeRole to the service principal credentials.iot.amazonaws.com in its trust policy ' +
          `(aws iam update-assume-role-policy --role-name ${ROLE_NAME} --policy-document file://trust.json), ` +
          "or point the alias at the stack's photo upload role: " +
          `aws iot update-role-alias --role-alias PhotoUpload --role-arn ROLE_ARN --region ${REGION}`,
      },
    ]);
  });

  it('refuses a role alias that asks for longer credentials than its role allows', async () => {
    iotMock.on(DescribeRoleAliasCommand).resolves({
      roleAliasDescription: {
        roleAlias: 'PhotoUpload',
        roleArn: ROLE_ARN,
        owner: '123456789012',
        credentialDurationSeconds: 7200,
      },
    });

    const error = await problems();

    expect(error.problems.map((problem) => [problem.problem, problem.fix])).toEqual([
      [
        `IoT role alias PhotoUpload (from --role-alias) asks for 7200 s credentials, but its IAM role ${ROLE_NAME} ` +
          'allows sessions of at most 3600 s: the IoT credentials provider would refuse every request',
        `shorten the alias's (aws iot update-role-alias --role-alias PhotoUpload --credential-duration-seconds 3600 ` +
          `--region ${REGION}) or lengthen the role's (aws iam update-role --role-name ${ROLE_NAME} --max-session-duration 7200)`,
      ],
    ]);
  });

  it('reports the role with the other problems, all at once', async () => {
    iotMock
      .on(GetPolicyCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    s3Mock.on(HeadBucketCommand).rejects(Object.assign(new Error('NotFound'), { name: 'NotFound' }));
    iamMock.on(GetRoleCommand).resolves({ Role: role({ Version: '2012-10-17', Statement: [] }, 900) });

    const error = await problems();

    expect(error.problems.map((problem) => problem.problem)).toEqual([
      `IoT policy DevicePolicy (from --policy) does not exist in ${REGION}`,
      expect.stringContaining(
        `IAM role ${ROLE_ARN}, behind IoT role alias PhotoUpload (from --role-alias), does not let`,
      ),
      expect.stringContaining('asks for 3600 s credentials'),
      'photo bucket coffee-photos (from --bucket) does not exist',
    ]);
  });

  it('does not read IAM for a role alias that points outside its account', async () => {
    iotMock.on(DescribeRoleAliasCommand).resolves({
      roleAliasDescription: {
        roleAlias: 'PhotoUpload',
        roleArn: 'arn:aws:iam::210987654321:role/Elsewhere',
        owner: '123456789012',
      },
    });

    const error = await problems();

    expect(error.problems.map((problem) => problem.problem)).toEqual([
      'IoT role alias PhotoUpload (from --role-alias) points to arn:aws:iam::210987654321:role/Elsewhere, ' +
        'a role in account 210987654321, not 123456789012',
    ]);
    expect(iamMock.commandCalls(GetRoleCommand)).toHaveLength(0);
  });

  it('names a read it may not make, with the permission it needs, and keeps the AWS error', async () => {
    const denied = new UnauthorizedException({
      message: 'Access Denied',
      $metadata: { httpStatusCode: 401 },
    });
    iotMock.on(GetPolicyCommand).rejects(denied);

    const error = await problems();

    expect(error.problems).toEqual([
      {
        resource: 'policyName',
        problem: 'cannot read IoT policy DevicePolicy (from --policy): UnauthorizedException: Access Denied',
        fix: 'the AWS credentials need iot:GetPolicy on it; if it is throttling or the network, try again',
        error: denied,
      },
    ]);
  });

  it('names a throttled read too: nothing is assumed to exist that was not read', async () => {
    iotMock
      .on(DescribeRoleAliasCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    const error = await problems();

    expect(error.message).toContain(
      '  - cannot read IoT role alias PhotoUpload (from --role-alias): ThrottlingException: Rate exceeded',
    );
  });

  it('refuses a bucket these credentials may not read (another account owns the name)', async () => {
    s3Mock
      .on(HeadBucketCommand)
      .rejects(
        Object.assign(new Error('UnknownError'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }),
      );

    const error = await problems();

    expect(error.problems.map((problem) => problem.problem)).toEqual([
      'photo bucket coffee-photos (from --bucket) exists but these credentials may not read it',
    ]);
    expect(error.problems[0]?.fix).toContain('it may belong to another account');
  });

  it('refuses a role alias that points to something that is not an IAM role', async () => {
    iotMock.on(DescribeRoleAliasCommand).resolves({
      roleAliasDescription: { roleAlias: 'PhotoUpload', roleArn: 'arn:aws:iam::123456789012:user/someone' },
    });

    const error = await problems();

    expect(error.problems.map((problem) => problem.problem)).toEqual([
      'IoT role alias PhotoUpload (from --role-alias) points to "arn:aws:iam::123456789012:user/someone", not an IAM role',
    ]);
    expect(error.problems[0]?.fix).toContain(
      `aws iot update-role-alias --role-alias PhotoUpload --role-arn ROLE_ARN --region ${REGION}`,
    );
  });

  it('says to correct a flag, or to deploy the stack, depending on where the name came from', async () => {
    iotMock.on(GetPolicyCommand).rejects(
      Object.assign(new Error('The specified resource does not exist'), {
        name: 'ResourceNotFoundException',
      }),
    );

    const flagged = await problems();
    const fromStack = (await checkDeviceResources(clients, THING, RESOURCES, {
      ...fromFlags,
      origins: { ...fromFlags.origins, policyName: 'stack CoffeeIot output IotPolicyName' },
    }).catch((e: unknown) => e)) as DeviceResourceError;

    expect(flagged.problems[0]?.fix).toBe(
      `check the name given to --policy (aws iot list-policies --region ${REGION}), ` +
        "or leave --policy out to use the stack's output IotPolicyName",
    );
    expect(fromStack.problems[0]?.fix).toBe(
      `the stack CoffeeIot in ${REGION} names it but it is not there: deploy the stack ` +
        `(cd infra && npx cdk deploy), check --stack and --region, or give --policy NAME (aws iot list-policies --region ${REGION})`,
    );
  });
});
