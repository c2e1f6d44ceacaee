import type { IAMClient } from '@aws-sdk/client-iam';
import { DescribeRoleAliasCommand, GetPolicyCommand, type IoTClient } from '@aws-sdk/client-iot';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeError, isAwsError } from './aws-errors.js';
import { type DeviceResource, type DeviceResources, STACK_OUTPUT_KEYS } from './stack-resources.js';
import { checkUploadRole } from './upload-role-check.js';

/*
 * The reads that prove what the stack (or the flags) named is there before provisioning creates
 * anything: a wrong role alias or bucket otherwise gives a bundle that can never upload, and a
 * wrong policy is only found at AttachPolicy, after the thing and its certificate exist. The
 * role alias is followed to its IAM role (upload-role-check.ts), since a role that is gone or
 * that IoT may not assume breaks uploads just as surely as a missing alias.
 */

export interface DeviceResourceClients {
  iot: IoTClient;
  s3: S3Client;
  /** Reads (GetRole) the role the role alias points to. */
  iam: IAMClient;
}

export interface DeviceResourceContext {
  /** The region the device is provisioned in: the policy and role alias must be there, and the bucket. */
  region: string;
  /** The stack the names came from, for the fix ("redeploy CoffeeIot"). */
  stackName: string;
  /** Where each name came from: "--policy", or "stack CoffeeIot output IotPolicyName". */
  origins: Readonly<Record<DeviceResource, string>>;
}

/** What the checks learnt that the report shows. */
export interface CheckedDeviceResources {
  /** The IAM role the role alias hands out credentials for. */
  roleArn: string;
}

/** One resource that is missing or unusable, and how to put it right. */
export interface DeviceResourceProblem {
  resource: DeviceResource;
  /** "IoT policy X (from --policy) does not exist in eu-west-1". */
  problem: string;
  /** What to do about it. */
  fix: string;
  /** The AWS error behind it, when the read failed for another reason than "not found". */
  error?: unknown;
}

/** The policy, role alias (or its role) or bucket is missing, unreadable or unusable: nothing was created. */
export class DeviceResourceError extends Error {
  override readonly name = 'DeviceResourceError';
  constructor(
    readonly thingName: string,
    readonly problems: readonly DeviceResourceProblem[],
  ) {
    super(
      [
        `cannot provision ${thingName}: nothing was created.`,
        ...problems.flatMap(({ problem, fix }) => [`  - ${problem}`, `    ${fix}`]),
      ].join('\n'),
    );
  }
}

const LABELS: Readonly<Record<DeviceResource, string>> = {
  policyName: 'IoT policy',
  roleAlias: 'IoT role alias',
  bucket: 'photo bucket',
};

const FLAGS: Readonly<Record<DeviceResource, string>> = {
  policyName: '--policy',
  roleAlias: '--role-alias',
  bucket: '--bucket',
};

/** How to look up the names that do exist, per resource. */
function listCommand(resource: DeviceResource, region: string): string {
  switch (resource) {
    case 'policyName':
      return `aws iot list-policies --region ${region}`;
    case 'roleAlias':
      return `aws iot list-role-aliases --region ${region}`;
    case 'bucket':
      return 'aws s3api list-buckets';
  }
}

/** The fix for a name that names nothing: redeploy or correct the stack, or correct the flag. */
function fixForMissing(resource: DeviceResource, context: DeviceResourceContext): string {
  const flag = FLAGS[resource];
  const list = listCommand(resource, context.region);
  if (context.origins[resource] === flag) {
    return `check the name given to ${flag} (${list}), or leave ${flag} out to use the stack's output ${STACK_OUTPUT_KEYS[resource]}`;
  }
  return (
    `the stack ${context.stackName} in ${context.region} names it but it is not there: deploy the stack ` +
    `(cd infra && npx cdk deploy), check --stack and --region, or give ${flag} NAME (${list})`
  );
}

function unreadable(
  resource: DeviceResource,
  name: string,
  context: DeviceResourceContext,
  error: unknown,
  permission: string,
): DeviceResourceProblem {
  return {
    resource,
    problem: `cannot read ${LABELS[resource]} ${name} (from ${context.origins[resource]}): ${describeError(error)}`,
    fix: `the AWS credentials need ${permission} on it; if it is throttling or the network, try again`,
    error,
  };
}

function notFound(
  resource: DeviceResource,
  name: string,
  context: DeviceResourceContext,
  where: string,
): DeviceResourceProblem {
  return {
    resource,
    problem: `${LABELS[resource]} ${name} (from ${context.origins[resource]}) does not exist${where}`,
    fix: fixForMissing(resource, context),
  };
}

async function checkPolicy(
  iot: IoTClient,
  policyName: string,
  context: DeviceResourceContext,
): Promise<DeviceResourceProblem | undefined> {
  try {
    await iot.send(new GetPolicyCommand({ policyName }));
    return undefined;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      return notFound('policyName', policyName, context, ` in ${context.region}`);
    }
    return unreadable('policyName', policyName, context, error, 'iot:GetPolicy');
  }
}

/** arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME */
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
/** arn:PARTITION:iot:REGION:ACCOUNT:rolealias/NAME */
const ROLE_ALIAS_ARN = /^arn:aws[\w-]*:iot:[\w-]+:(\d{12}):rolealias\//;

async function checkRoleAlias(
  { iot, iam }: Pick<DeviceResourceClients, 'iot' | 'iam'>,
  roleAlias: string,
  context: DeviceResourceContext,
): Promise<{ problems: DeviceResourceProblem[] } | { roleArn: string }> {
  let description:
    | { roleArn?: string; roleAliasArn?: string; owner?: string; credentialDurationSeconds?: number }
    | undefined;
  try {
    ({ roleAliasDescription: description } = await iot.send(new DescribeRoleAliasCommand({ roleAlias })));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      return { problems: [notFound('roleAlias', roleAlias, context, ` in ${context.region}`)] };
    }
    return { problems: [unreadable('roleAlias', roleAlias, context, error, 'iot:DescribeRoleAlias')] };
  }
  const label = `${LABELS.roleAlias} ${roleAlias} (from ${context.origins.roleAlias})`;
  const repoint =
    `point it at the stack's photo upload role (aws iot update-role-alias --role-alias ${roleAlias} ` +
    `--role-arn ROLE_ARN --region ${context.region}), or deploy the stack (cd infra && npx cdk deploy)`;
  const roleArn = description?.roleArn ?? '';
  const roleAccount = ROLE_ARN.exec(roleArn)?.[1];
  if (roleAccount === undefined) {
    return {
      problems: [
        { resource: 'roleAlias', problem: `${label} points to "${roleArn}", not an IAM role`, fix: repoint },
      ],
    };
  }
  // IoT can only pass a role of the role alias's own account to the credentials provider.
  const aliasAccount = description?.owner ?? ROLE_ALIAS_ARN.exec(description?.roleAliasArn ?? '')?.[1];
  if (aliasAccount !== undefined && aliasAccount !== roleAccount) {
    return {
      problems: [
        {
          resource: 'roleAlias',
          problem: `${label} points to ${roleArn}, a role in account ${roleAccount}, not ${aliasAccount}`,
          fix: repoint,
        },
      ],
    };
  }
  const problems = await checkUploadRole(iam, {
    roleAlias,
    roleAliasLabel: label,
    roleArn,
    credentialDurationSeconds: description?.credentialDurationSeconds,
    region: context.region,
  });
  return problems.length > 0 ? { problems } : { roleArn };
}

/** The S3 error names for a bucket that is not there: HeadBucket answers 404 with no body. */
const NO_BUCKET = ['NotFound', 'NoSuchBucket'];

async function checkBucket(
  s3: S3Client,
  bucket: string,
  context: DeviceResourceContext,
): Promise<DeviceResourceProblem | undefined> {
  let bucketRegion: string | undefined;
  try {
    ({ BucketRegion: bucketRegion } = await s3.send(new HeadBucketCommand({ Bucket: bucket })));
  } catch (error) {
    if (isAwsError(error, ...NO_BUCKET)) return notFound('bucket', bucket, context, '');
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 403) {
      return {
        resource: 'bucket',
        problem: `${LABELS.bucket} ${bucket} (from ${context.origins.bucket}) exists but these credentials may not read it`,
        fix:
          'it may belong to another account: check the name, or give the credentials s3:ListBucket on it ' +
          `(${fixForMissing('bucket', context)})`,
      };
    }
    return unreadable('bucket', bucket, context, error, 's3:ListBucket');
  }
  // The agent uploads to the region it is provisioned in (agent.json's upload.region).
  if (bucketRegion !== undefined && bucketRegion !== context.region) {
    return {
      resource: 'bucket',
      problem: `${LABELS.bucket} ${bucket} (from ${context.origins.bucket}) is in ${bucketRegion}, not ${context.region}`,
      fix:
        `the device uploads to the region it is provisioned in: give --region ${bucketRegion} (with that ` +
        `region's stack), or ${FLAGS.bucket} with a bucket in ${context.region}`,
    };
  }
  return undefined;
}

/**
 * Reads, changing nothing, that the policy (GetPolicy), the role alias (DescribeRoleAlias) and the
 * IAM role it points to (GetRole: in the alias's account, there, assumable by the IoT credentials
 * provider, sessions long enough) and the photo bucket (HeadBucket, in the device's region) exist
 * and can be read. Every problem is found before any is reported; throws DeviceResourceError
 * naming each with its fix.
 */
export async function checkDeviceResources(
  clients: DeviceResourceClients,
  thingName: string,
  resources: DeviceResources,
  context: DeviceResourceContext,
): Promise<CheckedDeviceResources> {
  const [policy, roleAlias, bucket] = await Promise.all([
    checkPolicy(clients.iot, resources.policyName, context),
    checkRoleAlias(clients, resources.roleAlias, context),
    checkBucket(clients.s3, resources.bucket, context),
  ]);
  const problems = [policy, ...('problems' in roleAlias ? roleAlias.problems : []), bucket].filter(
    (problem): problem is DeviceResourceProblem => problem !== undefined,
  );
  if (problems.length > 0 || !('roleArn' in roleAlias)) throw new DeviceResourceError(thingName, problems);
  return { roleArn: roleAlias.roleArn };
}
