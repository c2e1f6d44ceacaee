import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DescribeRoleAliasCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  InvalidRequestException,
  IoTClient,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
  UnauthorizedException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../device/src/config/load-config.js';
import { AMAZON_ROOT_CA_1_PEM } from './amazon-root-ca.js';
import { BundleExistsError } from './device-bundle.js';
import { DeviceResourceError } from './device-resource-checks.js';
import { InvalidProvisionOptionsError, ProvisionError, ThingAlreadyExistsError } from './provision-errors.js';
import { type ProvisionOptions, provisionThing } from './provision-thing.js';
import { StackOutputError } from './stack-resources.js';

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
const THING_ARN = `arn:aws:iot:${REGION}:123456789012:thing/${THING}`;
const CERTIFICATE_ID = '4f8c3b6a9d2e1f0a7b5c8d3e6f9a2b1c4d7e0f3a6b9c2d5e8f1a4b7c0d3e6f9a';
const CERTIFICATE_ARN = `arn:aws:iot:${REGION}:123456789012:cert/${CERTIFICATE_ID}`;
const CERTIFICATE_PEM =
  '-----BEGIN CERTIFICATE-----\nMIIDWTCCAkGgAwIBAgIUTm9ULWEtcmVhbC1jZXJ0aWZpY2F0ZS1mb3ItdGVzdHMw\n-----END CERTIFICATE-----\n';
// CreateKeysAndCertificate returns an RSA 2048 key pair, the private key in PKCS#1 PEM.
const KEYS = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const DATA_ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const CREDENTIALS_ENDPOINT = 'c1b2c3d4e5f6g7.credentials.iot.eu-west-1.amazonaws.com';
const POLICY = 'CoffeeIot-DevicePolicy-1X2Y3Z4W5V6U';
const ROLE_ALIAS = 'CoffeeIotPhotoUpload';
const BUCKET = 'coffeeiot-photobucket4a5b6c7d-1q2w3e4r5t6y';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/CoffeeIot-DeviceIdentityPhotoUploadRole1A2B3C-4D5E6F7G8H9I';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const iotMock = mockClient(IoTClient);
const cloudFormationMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const iamMock = mockClient(IAMClient);
const iot = new IoTClient({ region: REGION, credentials });
const cloudFormation = new CloudFormationClient({ region: REGION, credentials });
const s3 = new S3Client({ region: REGION, credentials });
const iam = new IAMClient({ region: REGION, credentials });
const delays: number[] = [];
const deps = {
  iot,
  cloudFormation,
  s3,
  iam,
  sleep: async (ms: number) => {
    delays.push(ms);
  },
};

/** The IoT calls made, in order: the operation's name and its input. */
function iotCalls(): { name: string; input: unknown }[] {
  return iotMock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return { name: command.constructor.name.replace(/Command$/, ''), input: command.input };
  });
}
const iotCallNames = () => iotCalls().map((call) => call.name);

const READS = ['GetPolicy', 'DescribeRoleAlias', 'DescribeThing', 'DescribeEndpoint', 'DescribeEndpoint'];
const CREATES = ['CreateThing', 'CreateKeysAndCertificate', 'AttachPolicy', 'AttachThingPrincipal'];

/** Every call answered as AWS documents it, for a stack that has the three outputs. */
function answerAll() {
  cloudFormationMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackId: `arn:aws:cloudformation:${REGION}:123456789012:stack/CoffeeIot/5e2a9f30-0b1c-11f0-9c4e-0a1b2c3d4e5f`,
        StackName: 'CoffeeIot',
        CreationTime: new Date('2026-03-01T09:00:00.000Z'),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [
          { OutputKey: 'IotPolicyName', OutputValue: POLICY },
          { OutputKey: 'RoleAliasName', OutputValue: ROLE_ALIAS },
          { OutputKey: 'PhotoBucketName', OutputValue: BUCKET },
        ],
      },
    ],
  });
  iotMock.on(GetPolicyCommand).callsFake(({ policyName }: { policyName: string }) => ({
    policyName,
    policyArn: `arn:aws:iot:${REGION}:123456789012:policy/${policyName}`,
    policyDocument: '{"Version":"2012-10-17","Statement":[]}',
    defaultVersionId: '1',
  }));
  iotMock.on(DescribeRoleAliasCommand).callsFake(({ roleAlias }: { roleAlias: string }) => ({
    roleAliasDescription: {
      roleAlias,
      roleAliasArn: `arn:aws:iot:${REGION}:123456789012:rolealias/${roleAlias}`,
      roleArn: ROLE_ARN,
      owner: '123456789012',
      credentialDurationSeconds: 3600,
    },
  }));
  s3Mock.on(HeadBucketCommand).resolves({ BucketRegion: REGION });
  iamMock.on(GetRoleCommand).resolves({
    Role: {
      Path: '/',
      RoleName: ROLE_ARN.slice(ROLE_ARN.lastIndexOf('/') + 1),
      RoleId: 'AROAEXAMPLEID1234567',
      Arn: ROLE_ARN,
      CreateDate: new Date('2026-03-01T09:00:00.000Z'),
      AssumeRolePolicyDocument: encodeURIComponent(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'credentials.iot.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      ),
      MaxSessionDuration: 3600,
    },
  });
  iotMock.on(DescribeThingCommand).rejects(
    new ResourceNotFoundException({
      message: `Thing ${THING} cannot be found.`,
      $metadata: { httpStatusCode: 404 },
    }),
  );
  iotMock
    .on(DescribeEndpointCommand, { endpointType: 'iot:Data-ATS' })
    .resolves({ endpointAddress: DATA_ENDPOINT });
  iotMock
    .on(DescribeEndpointCommand, { endpointType: 'iot:CredentialProvider' })
    .resolves({ endpointAddress: CREDENTIALS_ENDPOINT });
  iotMock
    .on(CreateThingCommand)
    .resolves({ thingName: THING, thingArn: THING_ARN, thingId: '8a7e6f1c-3d2b-4c5a-9e8f-7a6b5c4d3e2f' });
  iotMock.on(CreateKeysAndCertificateCommand).resolves({
    certificateArn: CERTIFICATE_ARN,
    certificateId: CERTIFICATE_ID,
    certificatePem: CERTIFICATE_PEM,
    keyPair: { PublicKey: KEYS.publicKey, PrivateKey: KEYS.privateKey },
  });
  iotMock.on(AttachPolicyCommand).resolves({});
  iotMock.on(AttachThingPrincipalCommand).resolves({});
  iotMock.on(DetachThingPrincipalCommand).resolves({});
  iotMock.on(DetachPolicyCommand).resolves({});
  iotMock.on(UpdateCertificateCommand).resolves({});
  iotMock.on(DeleteCertificateCommand).resolves({});
  iotMock.on(DeleteThingCommand).resolves({});
}

describe('provisionThing', () => {
  let parent: string;
  let options: ProvisionOptions;

  beforeEach(async () => {
    iotMock.reset();
    cloudFormationMock.reset();
    s3Mock.reset();
    iamMock.reset();
    delays.length = 0;
    answerAll();
    parent = await mkdtemp(join(tmpdir(), 'coffee-iot-provision-'));
    options = { thingName: THING, region: REGION, outDir: join(parent, THING) };
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });
  afterAll(() => {
    iotMock.restore();
    cloudFormationMock.restore();
    s3Mock.restore();
    iamMock.restore();
  });

  it('reads first, then creates the thing, an active certificate and both attachments, in order', async () => {
    const report = await provisionThing(deps, options);

    expect(cloudFormationMock.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'CoffeeIot',
    });
    expect(iotCalls()).toEqual([
      { name: 'GetPolicy', input: { policyName: POLICY } },
      { name: 'DescribeRoleAlias', input: { roleAlias: ROLE_ALIAS } },
      { name: 'DescribeThing', input: { thingName: THING } },
      { name: 'DescribeEndpoint', input: { endpointType: 'iot:Data-ATS' } },
      { name: 'DescribeEndpoint', input: { endpointType: 'iot:CredentialProvider' } },
      { name: 'CreateThing', input: { thingName: THING } },
      { name: 'CreateKeysAndCertificate', input: { setAsActive: true } },
      { name: 'AttachPolicy', input: { policyName: POLICY, target: CERTIFICATE_ARN } },
      { name: 'AttachThingPrincipal', input: { thingName: THING, principal: CERTIFICATE_ARN } },
    ]);
    expect(s3Mock.commandCalls(HeadBucketCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET },
    ]);
    expect(iamMock.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleName: 'CoffeeIot-DeviceIdentityPhotoUploadRole1A2B3C-4D5E6F7G8H9I' },
    ]);
    expect(report).toEqual({
      thingName: THING,
      thingArn: THING_ARN,
      region: REGION,
      certificateId: CERTIFICATE_ID,
      certificateArn: CERTIFICATE_ARN,
      resources: { policyName: POLICY, roleAlias: ROLE_ALIAS, bucket: BUCKET },
      origins: {
        policyName: 'stack CoffeeIot output IotPolicyName',
        roleAlias: 'stack CoffeeIot output RoleAliasName',
        bucket: 'stack CoffeeIot output PhotoBucketName',
      },
      roleArn: ROLE_ARN,
      dataEndpoint: DATA_ENDPOINT,
      credentialsEndpoint: CREDENTIALS_ENDPOINT,
      bundleDir: join(parent, THING),
      files: ['certificate.pem.crt', 'private.pem.key', 'AmazonRootCA1.pem', 'agent.json'],
    });
  });

  it('writes the bundle: certificate, private key (0600), Amazon Root CA 1 and agent.json', async () => {
    await provisionThing(deps, options);
    const dir = join(parent, THING);

    expect((await readdir(dir)).sort()).toEqual([
      'AmazonRootCA1.pem',
      'agent.json',
      'certificate.pem.crt',
      'private.pem.key',
    ]);
    expect(await readFile(join(dir, 'certificate.pem.crt'), 'utf8')).toBe(CERTIFICATE_PEM);
    expect(await readFile(join(dir, 'private.pem.key'), 'utf8')).toBe(KEYS.privateKey);
    expect((await stat(join(dir, 'private.pem.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'AmazonRootCA1.pem'), 'utf8')).toBe(AMAZON_ROOT_CA_1_PEM);
    expect(JSON.parse(await readFile(join(dir, 'agent.json'), 'utf8'))).toEqual({
      thingName: THING,
      endpoint: DATA_ENDPOINT,
      port: 8883,
      cert: '/etc/coffee-iot/certificate.pem.crt',
      key: '/etc/coffee-iot/private.pem.key',
      rootCa: '/etc/coffee-iot/AmazonRootCA1.pem',
      credentials: { endpoint: CREDENTIALS_ENDPOINT, roleAlias: ROLE_ALIAS },
      upload: { bucket: BUCKET, region: REGION },
    });
  });

  it("writes an agent.json the agent's own loader accepts once the files are where it says", async () => {
    await provisionThing(deps, options);
    const dir = join(parent, THING);
    const text = await readFile(join(dir, 'agent.json'), 'utf8');
    // On the Pi the files sit in /etc/coffee-iot; here they sit in the bundle.
    await writeFile(join(dir, 'agent.json'), text.replaceAll('/etc/coffee-iot/', `${dir}/`));

    const { config, warnings } = loadConfig({ configPath: join(dir, 'agent.json'), env: {} });

    expect(warnings).toEqual([]); // among others: no "key is accessible by group or others"
    expect(config.thingName).toBe(THING);
    expect(config.endpoint).toBe(DATA_ENDPOINT);
    expect(config.port).toBe(8883);
    expect(config.key).toBe(join(dir, 'private.pem.key'));
    expect(config.credentials).toMatchObject({ endpoint: CREDENTIALS_ENDPOINT, roleAlias: ROLE_ALIAS });
    expect(config.upload).toMatchObject({ bucket: BUCKET, region: REGION });
  });

  it('uses the given policy, role alias and bucket over the stack, and skips the stack when all are given', async () => {
    await provisionThing(deps, {
      ...options,
      resources: { policyName: 'MyDevicePolicy', roleAlias: 'MyAlias', bucket: 'my-photos' },
    });

    expect(cloudFormationMock.calls()).toHaveLength(0);
    expect(iotMock.commandCalls(AttachPolicyCommand)[0]?.args[0].input.policyName).toBe('MyDevicePolicy');
    const agent = JSON.parse(await readFile(join(parent, THING, 'agent.json'), 'utf8'));
    expect(agent.credentials.roleAlias).toBe('MyAlias');
    expect(agent.upload.bucket).toBe('my-photos');
  });

  it('reads another stack when named', async () => {
    await provisionThing(deps, { ...options, stackName: 'CoffeeIotStaging' });
    expect(cloudFormationMock.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'CoffeeIotStaging',
    });
  });

  it('creates nothing when a stack output is missing, and names the output and the stack', async () => {
    cloudFormationMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'CoffeeIot',
          CreationTime: new Date('2026-03-01T09:00:00.000Z'),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'IotPolicyName', OutputValue: POLICY }],
        },
      ],
    });

    const error = await provisionThing(deps, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StackOutputError);
    expect((error as Error).message).toContain('stack CoffeeIot: no output RoleAliasName');
    expect((error as Error).message).toContain('no output PhotoBucketName');
    expect(iotMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(await readdir(parent)).toEqual([]);
  });

  it('creates nothing when the policy, role alias or bucket is missing, and names each', async () => {
    const notFound = (message: string) =>
      new ResourceNotFoundException({ message, $metadata: { httpStatusCode: 404 } });
    iotMock.on(GetPolicyCommand).rejects(notFound('The specified resource does not exist'));
    iotMock.on(DescribeRoleAliasCommand).rejects(notFound(`RoleAlias not found (name= ${ROLE_ALIAS})`));
    s3Mock
      .on(HeadBucketCommand)
      .rejects(
        Object.assign(new Error('UnknownError'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
      );

    const error = (await provisionThing(deps, options).catch((e: unknown) => e)) as DeviceResourceError;

    expect(error).toBeInstanceOf(DeviceResourceError);
    expect(error.problems.map((problem) => problem.resource)).toEqual(['policyName', 'roleAlias', 'bucket']);
    expect(error.message.split('\n')[0]).toBe(`cannot provision ${THING}: nothing was created.`);
    expect(iotCallNames()).toEqual(['GetPolicy', 'DescribeRoleAlias']);
    expect(await readdir(parent)).toEqual([]);
  });

  it('creates nothing when the role behind the role alias is gone', async () => {
    iamMock.on(GetRoleCommand).rejects(
      new NoSuchEntityException({
        message:
          'The role with name CoffeeIot-DeviceIdentityPhotoUploadRole1A2B3C-4D5E6F7G8H9I cannot be found.',
        $metadata: { httpStatusCode: 404 },
      }),
    );

    const error = (await provisionThing(deps, options).catch((e: unknown) => e)) as DeviceResourceError;

    expect(error).toBeInstanceOf(DeviceResourceError);
    expect(error.message.split('\n').slice(0, 2)).toEqual([
      `cannot provision ${THING}: nothing was created.`,
      `  - IoT role alias ${ROLE_ALIAS} (from stack CoffeeIot output RoleAliasName) points to IAM role ${ROLE_ARN}, which does not exist`,
    ]);
    expect(iotCallNames()).toEqual(['GetPolicy', 'DescribeRoleAlias']);
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses a thing that exists, and changes nothing', async () => {
    iotMock.on(DescribeThingCommand).resolves({
      thingName: THING,
      thingArn: THING_ARN,
      thingId: '8a7e6f1c-3d2b-4c5a-9e8f-7a6b5c4d3e2f',
      version: 1,
    });

    const error = await provisionThing(deps, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ThingAlreadyExistsError);
    expect((error as Error).message).toBe(
      `thing ${THING} already exists in ${REGION}; nothing was changed. Choose another name, or remove it first with: coffee-iot deprovision ${THING}`,
    );
    expect(iotCallNames()).toEqual(['GetPolicy', 'DescribeRoleAlias', 'DescribeThing']);
    expect(await readdir(parent)).toEqual([]);
  });

  it('creates nothing when it cannot tell whether the thing exists', async () => {
    const denied = new UnauthorizedException({
      message: 'Access Denied',
      $metadata: { httpStatusCode: 401 },
    });
    iotMock.on(DescribeThingCommand).rejects(denied);

    const error = (await provisionThing(deps, options).catch((e: unknown) => e)) as ProvisionError;

    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.step).toBe('DescribeThing');
    expect(error.cause).toBe(denied);
    expect(error.message).toBe(
      `provisioning ${THING} failed at DescribeThing (check that thing ${THING} does not exist): ` +
        'UnauthorizedException: Access Denied\nNothing was created.',
    );
    expect(iotCallNames()).toEqual(['GetPolicy', 'DescribeRoleAlias', 'DescribeThing']);
  });

  it('refuses a thing CreateThing says exists (created meanwhile) without deleting it', async () => {
    const exists = new ResourceAlreadyExistsException({
      message: `Thing ${THING} already exists in account with different attributes`,
      resourceId: THING,
      resourceArn: THING_ARN,
      $metadata: { httpStatusCode: 409 },
    });
    iotMock.on(CreateThingCommand).rejects(exists);

    const error = await provisionThing(deps, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ThingAlreadyExistsError);
    expect((error as Error).cause).toBe(exists);
    expect(iotCallNames()).toEqual([...READS, 'CreateThing']);
  });

  it('rolls back, newest first, when attaching the certificate to the thing fails', async () => {
    const failure = new InvalidRequestException({
      message: 'The number of principals attached to the thing exceeds the limit',
      $metadata: { httpStatusCode: 400 },
    });
    iotMock.on(AttachThingPrincipalCommand).rejects(failure);

    const error = await provisionThing(deps, options).catch((e: unknown) => e);

    expect(iotCalls().slice(READS.length + CREATES.length)).toEqual([
      { name: 'DetachPolicy', input: { policyName: POLICY, target: CERTIFICATE_ARN } },
      { name: 'UpdateCertificate', input: { certificateId: CERTIFICATE_ID, newStatus: 'INACTIVE' } },
      { name: 'DeleteCertificate', input: { certificateId: CERTIFICATE_ID } },
      { name: 'DeleteThing', input: { thingName: THING } },
    ]);
    expect(error).toBeInstanceOf(ProvisionError);
    const provisionError = error as ProvisionError;
    expect(provisionError.step).toBe('AttachThingPrincipal');
    expect(provisionError.cause).toBe(failure);
    expect(provisionError.incomplete).toBe(false);
    expect(provisionError.message).toBe(
      [
        `provisioning ${THING} failed at AttachThingPrincipal (attach certificate ${CERTIFICATE_ID} to thing ${THING}): ` +
          'InvalidRequestException: The number of principals attached to the thing exceeds the limit',
        `Rolled back: detach policy ${POLICY} from certificate ${CERTIFICATE_ID}; ` +
          `deactivate and delete certificate ${CERTIFICATE_ID}; delete thing ${THING}.`,
      ].join('\n'),
    );
    expect(await readdir(parent)).toEqual([]);
  });

  it('rolls everything back when the bundle cannot be written, and leaves a directory made meanwhile alone', async () => {
    const dir = join(parent, THING);
    // Someone else creates the bundle directory after the check at the start.
    iotMock.on(AttachThingPrincipalCommand).callsFake(async () => {
      await mkdir(dir);
      await writeFile(join(dir, 'theirs.txt'), 'not ours');
      return {};
    });

    const error = await provisionThing(deps, options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProvisionError);
    expect((error as ProvisionError).step).toBe('WriteDeviceBundle');
    expect((error as Error).cause).toBeInstanceOf(BundleExistsError);
    expect(iotCallNames().slice(READS.length + CREATES.length)).toEqual([
      'DetachThingPrincipal',
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
    ]);
    expect(iotMock.commandCalls(DetachThingPrincipalCommand)[0]?.args[0].input).toEqual({
      thingName: THING,
      principal: CERTIFICATE_ARN,
    });
    expect(await readdir(parent)).toEqual([THING]);
    expect(await readdir(dir)).toEqual(['theirs.txt']);
  });

  it('reports a rollback step that fails, with how to finish it by hand, and still runs the others', async () => {
    iotMock
      .on(AttachThingPrincipalCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    iotMock
      .on(DetachPolicyCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    const error = (await provisionThing(deps, options).catch((e: unknown) => e)) as ProvisionError;

    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.incomplete).toBe(true);
    expect(error.rollback.undone).toEqual([
      `deactivate and delete certificate ${CERTIFICATE_ID}`,
      `delete thing ${THING}`,
    ]);
    expect(error.rollback.failed.map((failure) => failure.description)).toEqual([
      `detach policy ${POLICY} from certificate ${CERTIFICATE_ID}`,
    ]);
    expect(error.message.split('\n').slice(1)).toEqual([
      `Rolled back: deactivate and delete certificate ${CERTIFICATE_ID}; delete thing ${THING}.`,
      'Rollback incomplete, left behind (finish by hand):',
      `  detach policy ${POLICY} from certificate ${CERTIFICATE_ID} failed: ThrottlingException: Rate exceeded`,
      `    aws iot detach-policy --policy-name ${POLICY} --target ${CERTIFICATE_ARN} --region ${REGION}`,
    ]);
    expect(iotCallNames().slice(-4)).toEqual([
      'DetachPolicy',
      'UpdateCertificate',
      'DeleteCertificate',
      'DeleteThing',
    ]);
  });

  it('waits for the detachment to propagate before deleting the certificate again', async () => {
    iotMock
      .on(AttachThingPrincipalCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    iotMock
      .on(DeleteCertificateCommand)
      .rejectsOnce(
        new DeleteConflictException({
          message: `Things must be detached before deletion (arn: ${CERTIFICATE_ARN})`,
          $metadata: { httpStatusCode: 409 },
        }),
      )
      .resolves({});

    const error = (await provisionThing(deps, options).catch((e: unknown) => e)) as ProvisionError;

    expect(error.incomplete).toBe(false);
    expect(delays).toEqual([1000]);
    expect(iotMock.commandCalls(DeleteCertificateCommand)).toHaveLength(2);
  });

  it('creates nothing and rolls nothing back when the first creating call fails', async () => {
    iotMock
      .on(CreateThingCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    const error = (await provisionThing(deps, options).catch((e: unknown) => e)) as ProvisionError;

    expect(error.step).toBe('CreateThing');
    expect(error.message).toBe(
      `provisioning ${THING} failed at CreateThing (create thing ${THING}): ThrottlingException: Rate exceeded\nNothing was created.`,
    );
    expect(iotCallNames()).toEqual([...READS, 'CreateThing']);
  });

  it('refuses a bad thing name and an existing bundle directory before calling AWS', async () => {
    await expect(provisionThing(deps, { ...options, thingName: 'coffee pi/01' })).rejects.toBeInstanceOf(
      InvalidProvisionOptionsError,
    );
    await mkdir(join(parent, THING));
    await expect(provisionThing(deps, options)).rejects.toBeInstanceOf(BundleExistsError);
    expect(iotMock.calls()).toHaveLength(0);
    expect(cloudFormationMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('replaces an existing bundle directory with force', async () => {
    await mkdir(join(parent, THING));
    await writeFile(join(parent, THING, 'private.pem.key'), 'an old key');

    await provisionThing(deps, { ...options, force: true });

    expect(await readFile(join(parent, THING, 'private.pem.key'), 'utf8')).toBe(KEYS.privateKey);
  });
});
