import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import {
  CreatePolicyCommand,
  CreateRoleAliasCommand,
  DeletePolicyCommand,
  DescribeCertificateCommand,
  GetPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
} from '@aws-sdk/client-iot';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  ListBucketsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDeprovision } from '../../../cloud/src/cli/commands/deprovision.js';
import { type ProvisionClients, runProvision } from '../../../cloud/src/cli/commands/provision.js';
import { runCommand } from '../cli/run-cli.js';
import { MOTO_ACCOUNT, MOTO_SERVER_BIN, MOTO_SKIP_REASON, MotoServer } from '../harness/moto-server.js';

/*
 * `coffee-iot provision` and `deprovision` against a real moto_server: IoT, S3, IAM and
 * CloudFormation as moto 5 implements them, the stack's outputs included. The AWS SDK mock tests
 * next to the commands cover what moto cannot answer (access denied, throttling, propagation
 * delays).
 */

const REGION = 'eu-west-1';
const THING = 'coffee-pi-01';
const STACK = 'CoffeeIot';
const POLICY = 'CoffeeIot-DevicePolicy';
const ROLE_ALIAS = 'CoffeeIotPhotoUpload';
// With a path, as a role may have one: provisioning reads it by its name alone.
const ROLE_PATH = '/coffee-iot/';
const ROLE_NAME = 'CoffeeIot-PhotoUploadRole';
const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role${ROLE_PATH}${ROLE_NAME}`;
/** The upload role's trust policy as the stack writes it: the IoT credentials provider may assume it. */
function trustPolicy(service = 'credentials.iot.amazonaws.com'): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
const BUCKET = 'coffeeiot-photobucket-test';
const POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

if (MOTO_SERVER_BIN === undefined) console.warn(MOTO_SKIP_REASON);

/** Hooks run around the command's own IoT calls, to inject what happens meanwhile. */
interface CallHooks {
  before?: (commandName: string) => Promise<void>;
  after?: (commandName: string) => Promise<void>;
}

describe.skipIf(MOTO_SERVER_BIN === undefined)('coffee-iot provision against moto_server', () => {
  let moto: MotoServer;
  /** The operator's side: deploys the stack's parts and inspects what provisioning left. */
  let iot: IoTClient;
  let s3: S3Client;
  let iam: IAMClient;
  let cloudFormation: CloudFormationClient;
  let cwd: string;
  /** The IoT operations the command sent, in order. */
  let sent: string[];

  beforeAll(async () => {
    moto = await MotoServer.start();
    iot = new IoTClient(moto.clientConfig(REGION));
    s3 = new S3Client({ ...moto.clientConfig(REGION), forcePathStyle: true });
    iam = new IAMClient(moto.clientConfig(REGION));
    cloudFormation = new CloudFormationClient(moto.clientConfig(REGION));
    // moto loads each service on its first request (CloudFormation alone takes seconds): here,
    // under the hook's timeout, instead of in the first test.
    await cloudFormation.send(new DescribeStacksCommand({})).catch(() => undefined);
    await iot.send(new ListThingsCommand({}));
    await s3.send(new ListBucketsCommand({}));
    await iam.send(new ListRolesCommand({}));
  });
  afterAll(async () => {
    iot?.destroy();
    s3?.destroy();
    iam?.destroy();
    cloudFormation?.destroy();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    sent = [];
    cwd = await mkdtemp(join(tmpdir(), 'coffee-iot-provision-moto-'));
    return () => rm(cwd, { recursive: true, force: true });
  });

  /** The clients the command makes, pointed at moto; its IoT calls are recorded and hooked. */
  function clients(hooks: CallHooks = {}): ProvisionClients {
    return {
      iot: (region) => {
        const client = new IoTClient(moto.clientConfig(region ?? REGION));
        client.middlewareStack.add(
          (next, context) => async (args) => {
            const name = String(context.commandName).replace(/Command$/, '');
            sent.push(name);
            await hooks.before?.(name);
            const output = await next(args);
            await hooks.after?.(name);
            return output;
          },
          { step: 'initialize', name: 'recordIotCalls' },
        );
        return client;
      },
      cloudFormation: (region) => new CloudFormationClient(moto.clientConfig(region ?? REGION)),
      s3: (region) => new S3Client({ ...moto.clientConfig(region ?? REGION), forcePathStyle: true }),
      iam: (region) => new IAMClient(moto.clientConfig(region ?? REGION)),
    };
  }

  const provision = (argv: string[], hooks?: CallHooks) =>
    runCommand((args, io) => runProvision(args, io, clients(hooks)), argv, { cwd });
  const deprovision = (argv: string[]) =>
    runCommand((args, io) => runDeprovision(args, io, { iot: clients().iot }), argv, { cwd });

  /**
   * What the stack makes for devices, and the stack naming them in its outputs. `role` is the
   * service the upload role trusts, or false for no role (the alias then points at nothing).
   */
  async function deploy(
    parts: {
      policy?: boolean;
      roleAlias?: string | false;
      role?: string | false;
      bucketRegion?: string | false;
    } = {},
  ): Promise<void> {
    if (parts.role !== false) {
      await iam.send(
        new CreateRoleCommand({
          RoleName: ROLE_NAME,
          Path: ROLE_PATH,
          AssumeRolePolicyDocument: trustPolicy(parts.role),
          MaxSessionDuration: 3600,
        }),
      );
    }
    if (parts.policy !== false) {
      await iot.send(new CreatePolicyCommand({ policyName: POLICY, policyDocument: POLICY_DOCUMENT }));
    }
    if (parts.roleAlias !== false) {
      await iot.send(
        new CreateRoleAliasCommand({ roleAlias: ROLE_ALIAS, roleArn: parts.roleAlias ?? ROLE_ARN }),
      );
    }
    if (parts.bucketRegion !== false) {
      const region = parts.bucketRegion ?? REGION;
      const bucketS3 = new S3Client({ ...moto.clientConfig(region), forcePathStyle: true });
      await bucketS3.send(
        new CreateBucketCommand({
          Bucket: BUCKET,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
      bucketS3.destroy();
    }
    // Outputs only: what provisioning reads of the stack (the resources above stand for its own).
    const template = {
      Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: {
        IotPolicyName: { Value: POLICY },
        RoleAliasName: { Value: ROLE_ALIAS },
        PhotoBucketName: { Value: BUCKET },
      },
    };
    await cloudFormation.send(
      new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify(template) }),
    );
  }

  /** Everything in moto's IoT that provisioning makes or changes. */
  async function iotState() {
    const { things = [] } = await iot.send(new ListThingsCommand({}));
    const { certificates = [] } = await iot.send(new ListCertificatesCommand({}));
    const principals: Record<string, string[]> = {};
    for (const thing of things) {
      const thingName = thing.thingName ?? '';
      principals[thingName] =
        (await iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [];
    }
    const policyTargets = await iot
      .send(new ListTargetsForPolicyCommand({ policyName: POLICY }))
      .then((answer) => answer.targets ?? [])
      .catch(() => 'no policy');
    return {
      things: things.map((thing) => thing.thingName),
      certificates: certificates.map((certificate) => ({
        id: certificate.certificateId,
        status: certificate.status,
      })),
      principals,
      policyTargets,
    };
  }

  const EMPTY = { things: [], certificates: [], principals: {} };

  it('provisions from the stack outputs: the bundle whole, the key 0600, thing, certificate and attachments in IoT', async () => {
    await deploy();

    const run = await provision([THING]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const state = await iotState();
    expect(state.things).toEqual([THING]);
    expect(state.certificates).toHaveLength(1);
    const certificateId = state.certificates[0]?.id ?? '';
    expect(state.certificates[0]?.status).toBe('ACTIVE');
    const { certificateDescription } = await iot.send(new DescribeCertificateCommand({ certificateId }));
    const certificateArn = certificateDescription?.certificateArn ?? '';
    expect(state.principals).toEqual({ [THING]: [certificateArn] });
    expect(state.policyTargets).toEqual([certificateArn]);
    const { policies } = await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
    expect(policies?.map((policy) => policy.policyName)).toEqual([POLICY]);

    const bundle = join(cwd, THING);
    expect((await readdir(bundle)).sort()).toEqual([
      'AmazonRootCA1.pem',
      'agent.json',
      'certificate.pem.crt',
      'private.pem.key',
    ]);
    expect((await stat(join(bundle, 'private.pem.key'))).mode & 0o777).toBe(0o600);
    const certificatePem = await readFile(join(bundle, 'certificate.pem.crt'), 'utf8');
    expect(certificatePem).toBe(certificateDescription?.certificatePem);
    // The key in the bundle is the one the certificate was issued for.
    const fromKey = createPublicKey(createPrivateKey(await readFile(join(bundle, 'private.pem.key'))));
    const fromCertificate = new X509Certificate(certificatePem).publicKey;
    expect(fromKey.export({ type: 'spki', format: 'pem' })).toBe(
      fromCertificate.export({ type: 'spki', format: 'pem' }),
    );
    const agent = JSON.parse(await readFile(join(bundle, 'agent.json'), 'utf8'));
    // moto makes up a new endpoint address for each DescribeEndpoint: only its form can be checked.
    expect(agent).toMatchObject({
      thingName: THING,
      endpoint: expect.stringMatching(/^[a-z0-9]+-ats\.iot\.eu-west-1\.amazonaws\.com$/),
      credentials: {
        endpoint: expect.stringMatching(/^[a-z0-9]+\.credentials\.iot\.eu-west-1\.amazonaws\.com$/),
        roleAlias: ROLE_ALIAS,
      },
      upload: { bucket: BUCKET, region: REGION },
    });
    expect(run.stdout).toContain(
      `  upload role    ${ROLE_ARN} (the role alias's: it exists and the IoT credentials provider may assume it)`,
    );
  });

  it('refuses to provision the same thing again and changes nothing, in IoT or in the bundle', async () => {
    await deploy();
    expect((await provision([THING])).code).toBe(0);
    const before = await iotState();
    const key = await readFile(join(cwd, THING, 'private.pem.key'));

    const again = await provision([THING, '--force']);

    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `coffee-iot provision: thing ${THING} already exists in ${REGION}; nothing was changed. ` +
        `Choose another name, or remove it first with: coffee-iot deprovision ${THING}\n`,
    );
    expect(await iotState()).toEqual(before);
    expect(await readFile(join(cwd, THING, 'private.pem.key'))).toEqual(key);
  });

  it('deprovisions: the certificate and the thing are gone, the policy stays and is attached to nothing', async () => {
    await deploy();
    expect((await provision([THING])).code).toBe(0);

    const run = await deprovision([THING]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await iotState()).toEqual({ ...EMPTY, policyTargets: [] });
    expect((await iot.send(new GetPolicyCommand({ policyName: POLICY }))).policyName).toBe(POLICY);
  });

  it('refuses to deprovision a thing that is not there, and changes nothing', async () => {
    await deploy();
    expect((await provision([THING])).code).toBe(0);
    const before = await iotState();

    const run = await deprovision(['coffee-pi-02']);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `coffee-iot deprovision: thing coffee-pi-02 not found in ${REGION}; nothing was changed\n`,
    );
    expect(await iotState()).toEqual(before);
  });

  it.each([
    {
      missing: 'the IoT policy',
      parts: { policy: false },
      says: [
        `IoT policy ${POLICY} (from stack ${STACK} output IotPolicyName) does not exist in ${REGION}`,
        'npx cdk deploy',
      ],
    },
    {
      missing: 'the role alias',
      parts: { roleAlias: false },
      says: [
        `IoT role alias ${ROLE_ALIAS} (from stack ${STACK} output RoleAliasName) does not exist in ${REGION}`,
        'npx cdk deploy',
      ],
    },
    {
      missing: 'the role behind the role alias',
      parts: { role: false },
      says: [
        `IoT role alias ${ROLE_ALIAS} (from stack ${STACK} output RoleAliasName) points to IAM role ${ROLE_ARN}, which does not exist`,
        `aws iot update-role-alias --role-alias ${ROLE_ALIAS} --role-arn ROLE_ARN --region ${REGION}`,
      ],
    },
    {
      missing: 'trust for IoT in the role behind the role alias',
      parts: { role: 'lambda.amazonaws.com' },
      says: [
        `IAM role ${ROLE_ARN}, behind IoT role alias ${ROLE_ALIAS} (from stack ${STACK} output RoleAliasName), ` +
          'does not let credentials.iot.amazonaws.com assume it',
        `aws iam update-assume-role-policy --role-name ${ROLE_NAME}`,
      ],
    },
    {
      missing: 'the photo bucket',
      parts: { bucketRegion: false },
      says: [
        `photo bucket ${BUCKET} (from stack ${STACK} output PhotoBucketName) does not exist`,
        '--bucket',
      ],
    },
  ] as const)(
    'refuses before CreateThing when $missing is missing, naming it and the fix',
    async ({ parts, says }) => {
      await deploy(parts);
      const roles = async () => (await iam.send(new ListRolesCommand({}))).Roles?.map((role) => role.Arn);
      const rolesBefore = await roles();

      const run = await provision([THING]);

      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`cannot provision ${THING}: nothing was created`);
      for (const text of says) expect(run.stderr).toContain(text);
      expect(sent).not.toContain('CreateThing');
      expect(await iotState()).toMatchObject(EMPTY);
      expect(await roles()).toEqual(rolesBefore);
      expect(await readdir(cwd)).toEqual([]);
    },
  );

  it('starts every test from an empty moto: reset forgets IAM roles too (IAM is global in moto)', async () => {
    await deploy();
    expect((await iam.send(new ListRolesCommand({}))).Roles?.map((role) => role.Arn)).toEqual([ROLE_ARN]);

    await moto.reset();

    expect((await iam.send(new ListRolesCommand({}))).Roles).toEqual([]);
  });

  it('names every missing resource at once, with the flags that named them', async () => {
    const run = await provision([
      THING,
      '--policy',
      'NoSuchPolicy',
      '--role-alias',
      'NoSuchAlias',
      '--bucket',
      'no-such-bucket-here',
    ]);

    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe(`coffee-iot provision: cannot provision ${THING}: nothing was created.`);
    expect(lines.filter((line) => line.startsWith('  - '))).toEqual([
      `  - IoT policy NoSuchPolicy (from --policy) does not exist in ${REGION}`,
      `  - IoT role alias NoSuchAlias (from --role-alias) does not exist in ${REGION}`,
      '  - photo bucket no-such-bucket-here (from --bucket) does not exist',
    ]);
    expect(sent).toEqual(['GetPolicy', 'DescribeRoleAlias']);
    expect(await iotState()).toMatchObject(EMPTY);
  });

  it('refuses a role alias whose role is not an IAM role of this account', async () => {
    const elsewhere = 'arn:aws:iam::210987654321:role/SomeoneElsesRole';
    await deploy({ roleAlias: elsewhere });

    const run = await provision([THING]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `IoT role alias ${ROLE_ALIAS} (from stack ${STACK} output RoleAliasName) points to ${elsewhere}, ` +
        `a role in account 210987654321, not ${MOTO_ACCOUNT}`,
    );
    expect(sent).not.toContain('CreateThing');
    expect(await iotState()).toMatchObject(EMPTY);
  });

  it('refuses a photo bucket in another region: the device uploads to the region it is provisioned in', async () => {
    await deploy({ bucketRegion: 'us-east-1' });

    const run = await provision([THING]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `photo bucket ${BUCKET} (from stack ${STACK} output PhotoBucketName) is in us-east-1, not ${REGION}`,
    );
    expect(sent).not.toContain('CreateThing');
    expect(await iotState()).toMatchObject(EMPTY);
  });

  it('rolls back to nothing when the policy disappears between the check and AttachPolicy', async () => {
    await deploy();
    const hooks: CallHooks = {
      before: async (name) => {
        if (name === 'AttachPolicy') await iot.send(new DeletePolicyCommand({ policyName: POLICY }));
      },
    };

    const run = await provision([THING], hooks);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`provisioning ${THING} failed at AttachPolicy`);
    expect(run.stderr).toMatch(/Rolled back: deactivate and delete certificate [0-9a-f]+; delete thing/);
    expect(sent).toContain('CreateThing');
    expect(await iotState()).toEqual({ ...EMPTY, policyTargets: 'no policy' });
    expect(await readdir(cwd)).toEqual([]);
  });

  it('rolls back all four creations when the bundle cannot be written', async () => {
    await deploy();
    // Someone takes the bundle directory after the check at the start.
    const hooks: CallHooks = {
      after: async (name) => {
        if (name === 'AttachThingPrincipal') await mkdir(join(cwd, THING));
      },
    };

    const run = await provision([THING], hooks);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`provisioning ${THING} failed at WriteDeviceBundle`);
    expect(run.stderr).toContain('Rolled back: detach certificate');
    expect(await iotState()).toEqual({ ...EMPTY, policyTargets: [] });
    expect(await readdir(join(cwd, THING))).toEqual([]);
  });
});
