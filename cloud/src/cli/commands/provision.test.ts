import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  DescribeRoleAliasCommand,
  DescribeThingCommand,
  GetPolicyCommand,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli-io.js';
import { main } from '../main.js';
import { PROVISION_USAGE, type ProvisionClients, runProvision } from './provision.js';

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
const CERTIFICATE_ID = '4f8c3b6a9d2e1f0a7b5c8d3e6f9a2b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a';
const CERTIFICATE_ARN = `arn:aws:iot:${REGION}:123456789012:cert/${CERTIFICATE_ID}`;
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const iotMock = mockClient(IoTClient);
const cloudFormationMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const iamMock = mockClient(IAMClient);
/** The regions the command asked its clients for. */
let askedRegions: (string | undefined)[] = [];
const clients: ProvisionClients = {
  iot: (region) => {
    askedRegions.push(region);
    return new IoTClient({ region: region ?? REGION, credentials });
  },
  cloudFormation: (region) => new CloudFormationClient({ region: region ?? REGION, credentials }),
  s3: (region) => new S3Client({ region: region ?? REGION, credentials }),
  iam: (region) => new IAMClient({ region: region ?? REGION, credentials }),
};
const ROLE_ARN = 'arn:aws:iam::123456789012:role/CoffeeIot-PhotoUploadRole';

/** GetRole's Role for ROLE_ARN, trusting `service` (IAM answers the document URL-encoded). */
function uploadRole(service = 'credentials.iot.amazonaws.com') {
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  };
  return {
    Path: '/',
    RoleName: 'CoffeeIot-PhotoUploadRole',
    RoleId: 'AROAEXAMPLEID1234567',
    Arn: ROLE_ARN,
    CreateDate: new Date('2026-03-01T09:00:00.000Z'),
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)),
    MaxSessionDuration: 3600,
  };
}

function answerAll() {
  cloudFormationMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'CoffeeIot',
        CreationTime: new Date('2026-03-01T09:00:00.000Z'),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [
          { OutputKey: 'IotPolicyName', OutputValue: 'CoffeeIotDevicePolicy' },
          { OutputKey: 'RoleAliasName', OutputValue: 'CoffeeIotPhotoUpload' },
          { OutputKey: 'PhotoBucketName', OutputValue: 'coffee-iot-photos-123456789012' },
        ],
      },
    ],
  });
  iotMock.on(GetPolicyCommand).callsFake(({ policyName }: { policyName: string }) => ({ policyName }));
  iotMock.on(DescribeRoleAliasCommand).callsFake(({ roleAlias }: { roleAlias: string }) => ({
    roleAliasDescription: { roleAlias, roleArn: ROLE_ARN, owner: '123456789012' },
  }));
  // The bucket is where the command's S3 client is: in the region asked for.
  s3Mock.on(HeadBucketCommand).callsFake(async (_input, getClient: () => S3Client) => ({
    BucketRegion: await getClient().config.region(),
  }));
  iamMock.on(GetRoleCommand).resolves({ Role: uploadRole() });
  iotMock.on(DescribeThingCommand).rejects(
    new ResourceNotFoundException({
      message: `Thing ${THING} cannot be found.`,
      $metadata: { httpStatusCode: 404 },
    }),
  );
  iotMock
    .on(DescribeEndpointCommand, { endpointType: 'iot:Data-ATS' })
    .resolves({ endpointAddress: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com' });
  iotMock
    .on(DescribeEndpointCommand, { endpointType: 'iot:CredentialProvider' })
    .resolves({ endpointAddress: 'c1b2c3d4e5f6g7.credentials.iot.eu-west-1.amazonaws.com' });
  iotMock.on(CreateThingCommand).resolves({
    thingName: THING,
    thingArn: `arn:aws:iot:${REGION}:123456789012:thing/${THING}`,
    thingId: '8a7e6f1c-3d2b-4c5a-9e8f-7a6b5c4d3e2f',
  });
  iotMock.on(CreateKeysAndCertificateCommand).resolves({
    certificateArn: CERTIFICATE_ARN,
    certificateId: CERTIFICATE_ID,
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIDWTCCAkGgAwIBAgIU\n-----END CERTIFICATE-----\n',
    keyPair: {
      PublicKey: '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n',
      PrivateKey: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n',
    },
  });
  iotMock.on(AttachPolicyCommand).resolves({});
  iotMock.on(AttachThingPrincipalCommand).resolves({});
}

describe('coffee-iot provision', () => {
  let cwd: string;

  async function provision(argv: string[], io: Partial<CliIo> = {}, using: ProvisionClients = clients) {
    let stdout = '';
    let stderr = '';
    const code = await runProvision(
      argv,
      {
        env: {},
        cwd,
        ...io,
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
      },
      using,
    );
    return { code, stdout, stderr };
  }

  beforeEach(async () => {
    iotMock.reset();
    cloudFormationMock.reset();
    s3Mock.reset();
    iamMock.reset();
    askedRegions = [];
    answerAll();
    cwd = await mkdtemp(join(tmpdir(), 'coffee-iot-provision-cli-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });
  afterAll(() => {
    iotMock.restore();
    cloudFormationMock.restore();
    s3Mock.restore();
    iamMock.restore();
  });

  it('provisions THING into ./THING and says what it made and what to do next', async () => {
    const run = await provision([THING]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const bundle = join(cwd, THING);
    expect((await readdir(bundle)).sort()).toEqual([
      'AmazonRootCA1.pem',
      'agent.json',
      'certificate.pem.crt',
      'private.pem.key',
    ]);
    expect((await stat(join(bundle, 'private.pem.key'))).mode & 0o777).toBe(0o600);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Provisioned ${THING} in ${REGION}:`);
    expect(lines).toContain(`  certificate    ${CERTIFICATE_ID} (active)`);
    expect(lines).toContain(
      '  policy         CoffeeIotDevicePolicy, attached to the certificate (from stack CoffeeIot output IotPolicyName)',
    );
    expect(lines).toContain(
      `  upload role    ${ROLE_ARN} (the role alias's: it exists and the IoT credentials provider may assume it)`,
    );
    expect(lines).toContain(`Device bundle: ${bundle}/`);
    expect(lines).toContain(`       scp -r ${THING} pi@raspberrypi.local:`);
    expect(lines).toContain(
      `       sudo install -o coffee-iot -g coffee-iot -m 0600 ${THING}/private.pem.key /etc/coffee-iot/`,
    );
    expect(askedRegions).toEqual([undefined]);
  });

  it('takes --out, --stack, --region and the resource flags', async () => {
    const run = await provision([
      THING,
      '--out',
      'bundles/pi-1',
      '--stack',
      'CoffeeIotStaging',
      '--region',
      'eu-central-1',
      '--policy',
      'MyPolicy',
    ]);

    // bundles/ does not exist: refused before anything is created.
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `coffee-iot provision: cannot write ${join(cwd, 'bundles', 'pi-1')}: ${join(cwd, 'bundles')} does not exist\n`,
    );
    expect(iotMock.calls()).toHaveLength(0);

    const ok = await provision([
      THING,
      '--out',
      'pi-1',
      '--stack',
      'CoffeeIotStaging',
      '--region',
      'eu-central-1',
      '--policy',
      'MyPolicy',
    ]);
    expect(ok.code).toBe(0);
    expect(askedRegions).toEqual(['eu-central-1', 'eu-central-1']);
    expect(cloudFormationMock.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'CoffeeIotStaging',
    });
    expect(iotMock.commandCalls(AttachPolicyCommand)[0]?.args[0].input.policyName).toBe('MyPolicy');
    expect(ok.stdout).toContain('       scp -r pi-1 pi@raspberrypi.local:');
    expect(await readdir(join(cwd, 'pi-1'))).toHaveLength(4);
  });

  it('fails with exit 1, naming the output and the stack, when the stack lacks an output', async () => {
    cloudFormationMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: 'CoffeeIot', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] },
      ],
    });

    const run = await provision([THING, '--policy', 'MyPolicy', '--bucket', 'my-photos']);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'coffee-iot provision: stack CoffeeIot: no output RoleAliasName (status CREATE_COMPLETE); give --role-alias NAME instead\n',
    );
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('fails with exit 1, naming the missing role alias and the fix, and creates nothing', async () => {
    iotMock.on(DescribeRoleAliasCommand).rejects(
      new ResourceNotFoundException({
        message: 'RoleAlias not found (name= CoffeeIotPhotoUpload)',
        $metadata: { httpStatusCode: 404 },
      }),
    );

    const run = await provision([THING]);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      [
        `coffee-iot provision: cannot provision ${THING}: nothing was created.`,
        `  - IoT role alias CoffeeIotPhotoUpload (from stack CoffeeIot output RoleAliasName) does not exist in ${REGION}`,
        `    the stack CoffeeIot in ${REGION} names it but it is not there: deploy the stack (cd infra && npx cdk deploy), ` +
          `check --stack and --region, or give --role-alias NAME (aws iot list-role-aliases --region ${REGION})`,
        '',
      ].join('\n'),
    );
    expect(iotMock.commandCalls(CreateThingCommand)).toHaveLength(0);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('fails with exit 1 when the role behind the role alias cannot be assumed by IoT, and creates nothing', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: uploadRole('lambda.amazonaws.com') });

    const run = await provision([THING]);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      `coffee-iot provision: cannot provision ${THING}: nothing was created.`,
      `  - IAM role ${ROLE_ARN}, behind IoT role alias CoffeeIotPhotoUpload (from stack CoffeeIot output RoleAliasName), ` +
        'does not let credentials.iot.amazonaws.com assume it (no statement allows it: the IoT credentials provider ' +
        'could never hand a device credentials, so no photo would upload)',
    ]);
    expect(iamMock.commandCalls(GetRoleCommand)[0]?.args[0].input).toEqual({
      RoleName: 'CoffeeIot-PhotoUploadRole',
    });
    expect(iotMock.commandCalls(CreateThingCommand)).toHaveLength(0);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses an existing bundle directory unless --force', async () => {
    expect((await provision([THING])).code).toBe(0);
    iotMock.reset();
    answerAll();

    const again = await provision([THING]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `coffee-iot provision: ${join(cwd, THING)} already exists: choose another --out DIR, or give --force to replace it\n`,
    );
    expect(iotMock.calls()).toHaveLength(0);

    expect((await provision([THING, '--force'])).code).toBe(0);
  });

  it('reports a failed step and the rollback, exit 1', async () => {
    iotMock.on(AttachThingPrincipalCommand).rejects(new Error('socket hang up'));

    const run = await provision([THING]);

    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      `coffee-iot provision: provisioning ${THING} failed at AttachThingPrincipal (attach certificate ${CERTIFICATE_ID} to thing ${THING}): socket hang up`,
    );
    expect(run.stderr).toContain(
      `Rolled back: detach policy CoffeeIotDevicePolicy from certificate ${CERTIFICATE_ID};`,
    );
    expect(await readdir(cwd)).toEqual([]);
  });

  it('says how to give a region when none is configured', async () => {
    const noRegion: ProvisionClients = {
      iot: () =>
        new IoTClient({
          region: async () => {
            throw new Error('Region is missing');
          },
          credentials,
        }),
      cloudFormation: () => new CloudFormationClient({ region: REGION, credentials }),
      s3: () => new S3Client({ region: REGION, credentials }),
      iam: () => new IAMClient({ region: REGION, credentials }),
    };

    const run = await provision([THING], {}, noRegion);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('coffee-iot provision: no AWS region: give --region, or set AWS_REGION');
    expect(iotMock.calls()).toHaveLength(0);
  });

  it.each([
    [[], 'name the THING to provision (its AWS IoT thing name)'],
    [
      ['coffee pi'],
      'THING "coffee pi" is not a thing name (1-128 letters, digits, colons, underscores or hyphens)',
    ],
    [[THING, 'coffee-pi-02'], 'unexpected arguments: coffee-pi-02'],
    [[THING, '--bucket', 'My_Bucket'], '--bucket: "My_Bucket" is not a valid S3 bucket name'],
    [[THING, '--policy', 'my policy'], '--policy: "my policy" is not an IoT policy name'],
    [[THING, '--role-alias', 'a/b'], '--role-alias: "a/b" is not an IoT role alias'],
    [[THING, '--region', 'Ireland'], '--region "Ireland" is not an AWS region name such as eu-west-1'],
    [[THING, '--out', ''], '--out is empty'],
    [[THING, '--stack', ' '], '--stack is empty'],
    [[THING, '--endpoint', 'x'], "Unknown option '--endpoint'"],
    [[THING, '--out', 'a', '--out', 'b'], '--out is given more than once'],
  ])('refuses %j with exit 2', async (argv, message) => {
    const run = await provision(argv);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`coffee-iot provision: ${message}`);
    expect(run.stderr).toContain('Run "coffee-iot provision --help" for usage.');
    expect(iotMock.calls()).toHaveLength(0);
    expect(cloudFormationMock.calls()).toHaveLength(0);
  });

  it('prints its usage for --help', async () => {
    const run = await provision(['--help']);
    expect(run).toEqual({ code: 0, stdout: PROVISION_USAGE, stderr: '' });
  });
});

describe('coffee-iot main dispatches provision and deprovision', () => {
  async function cli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      env: {},
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { code, stdout, stderr };
  }

  it('runs each command with the arguments after its name', async () => {
    expect(await cli(['provision', '--help'])).toEqual({ code: 0, stdout: PROVISION_USAGE, stderr: '' });
    expect((await cli(['help', 'deprovision'])).stdout).toMatch(/^Usage: coffee-iot deprovision THING/);
    const run = await cli(['deprovision']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('coffee-iot deprovision: name the THING to deprovision');
  });

  it('lists them in the main usage', async () => {
    const run = await cli(['help']);
    expect(run.stdout).toContain('  provision THING [--out DIR] [--stack NAME]');
    expect(run.stdout).toContain('  deprovision THING ');
  });
});
