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
 * alias pointing to something that is not a role. The rest runs against moto_server in
 * test/src/provision/provision-moto.test.ts.
 */

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/CoffeeIot-PhotoUploadRole';
const RESOURCES = { policyName: 'DevicePolicy', roleAlias: 'PhotoUpload', bucket: 'coffee-photos' };
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };
const iotMock = mockClient(IoTClient);
const s3Mock = mockClient(S3Client);
const clients = {
  iot: new IoTClient({ region: REGION, credentials }),
  s3: new S3Client({ region: REGION, credentials }),
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
    iotMock.on(GetPolicyCommand).resolves({ policyName: RESOURCES.policyName });
    iotMock.on(DescribeRoleAliasCommand).resolves({
      roleAliasDescription: { roleAlias: RESOURCES.roleAlias, roleArn: ROLE_ARN, owner: '123456789012' },
    });
    s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: REGION });
  });
  afterAll(() => {
    iotMock.restore();
    s3Mock.restore();
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
