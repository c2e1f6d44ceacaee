import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  type Output,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  resolveDeviceResources,
  StackNotFoundError,
  StackOutputError,
  StackReadError,
} from './stack-resources.js';

const cloudFormation = mockClient(CloudFormationClient);
const client = new CloudFormationClient({
  region: 'eu-west-1',
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});

const OUTPUTS: Output[] = [
  { OutputKey: 'IotPolicyName', OutputValue: 'CoffeeIot-DevicePolicy-1X2Y3Z4W5V6U' },
  { OutputKey: 'RoleAliasName', OutputValue: 'CoffeeIotPhotoUpload' },
  {
    OutputKey: 'PhotoBucketName',
    OutputValue: 'coffeeiot-photobucket4a5b6c7d-1q2w3e4r5t6y',
    Description: 'Photos uploaded by the devices',
  },
];

// DescribeStacks' documented answer for one stack.
function answerStack(outputs: Output[], status: StackStatus = 'CREATE_COMPLETE') {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackId:
          'arn:aws:cloudformation:eu-west-1:123456789012:stack/CoffeeIot/5e2a9f30-0b1c-11f0-9c4e-0a1b2c3d4e5f',
        StackName: 'CoffeeIot',
        CreationTime: new Date('2026-03-01T09:00:00.000Z'),
        StackStatus: status,
        Outputs: outputs,
      },
    ],
  });
}

beforeEach(() => cloudFormation.reset());
afterAll(() => cloudFormation.restore());

describe('resolveDeviceResources', () => {
  it("reads the policy, role alias and bucket from the stack's outputs", async () => {
    answerStack(OUTPUTS);

    const resolved = await resolveDeviceResources(client, 'CoffeeIot', {});

    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'CoffeeIot',
    });
    expect(resolved).toEqual({
      resources: {
        policyName: 'CoffeeIot-DevicePolicy-1X2Y3Z4W5V6U',
        roleAlias: 'CoffeeIotPhotoUpload',
        bucket: 'coffeeiot-photobucket4a5b6c7d-1q2w3e4r5t6y',
      },
      origins: {
        policyName: 'stack CoffeeIot output IotPolicyName',
        roleAlias: 'stack CoffeeIot output RoleAliasName',
        bucket: 'stack CoffeeIot output PhotoBucketName',
      },
    });
  });

  it('lets the given values override the outputs, and does not read the stack when all are given', async () => {
    answerStack(OUTPUTS);
    const partly = await resolveDeviceResources(client, 'CoffeeIot', { policyName: 'MyPolicy' });
    expect(partly.resources.policyName).toBe('MyPolicy');
    expect(partly.origins.policyName).toBe('--policy');
    expect(partly.resources.bucket).toBe('coffeeiot-photobucket4a5b6c7d-1q2w3e4r5t6y');

    cloudFormation.resetHistory();
    const given = { policyName: 'MyPolicy', roleAlias: 'MyAlias', bucket: 'my-photos' };
    expect((await resolveDeviceResources(client, 'CoffeeIot', given)).resources).toEqual(given);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('names every missing output, the stack and its status', async () => {
    answerStack([OUTPUTS[0] as Output], 'UPDATE_ROLLBACK_COMPLETE');

    const error = await resolveDeviceResources(client, 'CoffeeIot', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StackOutputError);
    expect((error as Error).message).toBe(
      'stack CoffeeIot: no output RoleAliasName (status UPDATE_ROLLBACK_COMPLETE); give --role-alias NAME instead; ' +
        'no output PhotoBucketName (status UPDATE_ROLLBACK_COMPLETE); give --bucket NAME instead',
    );
  });

  it('needs only the outputs not given', async () => {
    answerStack([OUTPUTS[0] as Output]);
    const resolved = await resolveDeviceResources(client, 'CoffeeIot', {
      roleAlias: 'A',
      bucket: 'my-photos',
    });
    expect(resolved.resources.policyName).toBe('CoffeeIot-DevicePolicy-1X2Y3Z4W5V6U');
  });

  it('refuses an output that cannot be what it names', async () => {
    answerStack([...OUTPUTS.slice(0, 2), { OutputKey: 'PhotoBucketName', OutputValue: 'Photos_Bucket' }]);
    await expect(resolveDeviceResources(client, 'CoffeeIot', {})).rejects.toThrow(
      'stack CoffeeIot: output PhotoBucketName: "Photos_Bucket" is not a valid S3 bucket name',
    );
  });

  it('says the stack is not there, in which region', async () => {
    // DescribeStacks answers a missing stack with ValidationError, not StackNotFoundException.
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id CoffeeIot does not exist',
      }),
    );

    const error = await resolveDeviceResources(client, 'CoffeeIot', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StackNotFoundError);
    expect((error as Error).message).toContain('stack CoffeeIot not found in eu-west-1');
    expect((error as Error).cause).toBeInstanceOf(CloudFormationServiceException);
  });

  it('names any other failure to read the stack, with its cause', async () => {
    const denied = new CloudFormationServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message:
        'User: arn:aws:iam::123456789012:user/ada is not authorized to perform: cloudformation:DescribeStacks',
    });
    cloudFormation.on(DescribeStacksCommand).rejects(denied);

    const error = await resolveDeviceResources(client, 'CoffeeIot', {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StackReadError);
    expect((error as Error).message).toContain('reading stack CoffeeIot failed: AccessDenied: User:');
    expect((error as Error).cause).toBe(denied);
  });
});
