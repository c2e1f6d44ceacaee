import { type CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { bucketNameProblem } from '../lake/export/photo-url-rule.js';
import { describeError, isAwsError } from './aws-errors.js';

export const DEFAULT_STACK_NAME = 'CoffeeIot';

/** The AWS resources a device needs, made by the deployed stack. */
export interface DeviceResources {
  /** The IoT policy attached to the device certificate. */
  policyName: string;
  /** The IoT role alias the device exchanges its certificate for S3 credentials with. */
  roleAlias: string;
  /** The photo bucket. */
  bucket: string;
}
export type DeviceResource = keyof DeviceResources;

/** The stack output that names each resource. */
export const STACK_OUTPUT_KEYS: Readonly<Record<DeviceResource, string>> = {
  policyName: 'IotPolicyName',
  roleAlias: 'RoleAliasName',
  bucket: 'PhotoBucketName',
};

const RESOURCE_ORDER: readonly DeviceResource[] = ['policyName', 'roleAlias', 'bucket'];

/**
 * Why `value` cannot be the resource, or undefined. The name patterns are those of the IoT API
 * (policy names [\w+=,.@-], role aliases [\w=,@-], 1-128 characters; the agent's schema checks
 * the role alias the same way) and S3's bucket naming rules.
 */
export function deviceResourceProblem(resource: DeviceResource, value: string): string | undefined {
  switch (resource) {
    case 'policyName':
      return /^[\w+=,.@-]{1,128}$/.test(value)
        ? undefined
        : `"${value}" is not an IoT policy name (1-128 letters, digits or + = , . @ _ -)`;
    case 'roleAlias':
      return /^[\w=,@-]{1,128}$/.test(value)
        ? undefined
        : `"${value}" is not an IoT role alias (1-128 letters, digits or = , @ _ -)`;
    case 'bucket':
      return bucketNameProblem(value);
  }
}

/** DescribeStacks found no stack of that name (in that region). */
export class StackNotFoundError extends Error {
  override readonly name = 'StackNotFoundError';
  constructor(
    readonly stackName: string,
    readonly region: string,
    options?: ErrorOptions,
  ) {
    super(
      `stack ${stackName} not found in ${region}: deploy it, or name it with --stack NAME (and --region)`,
      options,
    );
  }
}

/** The stack lacks an output the device needs, or an output's value is unusable. */
export class StackOutputError extends Error {
  override readonly name = 'StackOutputError';
  constructor(
    readonly stackName: string,
    readonly problems: readonly string[],
  ) {
    super(`stack ${stackName}: ${problems.join('; ')}`);
  }
}

/** Reading the stack failed for another reason (permissions, network). */
export class StackReadError extends Error {
  override readonly name = 'StackReadError';
}

export interface ResolvedDeviceResources {
  resources: DeviceResources;
  /** Where each value came from, for the report: "--policy" or "stack CoffeeIot output IotPolicyName". */
  origins: Record<DeviceResource, string>;
}

const FLAGS: Readonly<Record<DeviceResource, string>> = {
  policyName: '--policy',
  roleAlias: '--role-alias',
  bucket: '--bucket',
};

async function describeStack(cloudFormation: CloudFormationClient, stackName: string): Promise<Stack> {
  let stacks: Stack[] | undefined;
  try {
    ({ Stacks: stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })));
  } catch (error) {
    // DescribeStacks answers a missing stack with ValidationError "Stack with id NAME does not exist".
    if (isAwsError(error, 'ValidationError') && /does not exist/.test((error as Error).message)) {
      throw new StackNotFoundError(stackName, await cloudFormation.config.region(), { cause: error });
    }
    throw new StackReadError(`reading stack ${stackName} failed: ${describeError(error)}`, { cause: error });
  }
  const stack = stacks?.[0];
  if (stack === undefined) throw new StackNotFoundError(stackName, await cloudFormation.config.region());
  return stack;
}

/**
 * The policy, role alias and bucket for a device: each from `given` (the command line's flags)
 * when there, else from the stack's outputs. The stack is read only when a value is missing.
 * Throws StackNotFoundError, StackOutputError naming every missing or unusable output, or
 * StackReadError.
 */
export async function resolveDeviceResources(
  cloudFormation: CloudFormationClient,
  stackName: string,
  given: Partial<DeviceResources>,
): Promise<ResolvedDeviceResources> {
  const missing = RESOURCE_ORDER.filter((resource) => given[resource] === undefined);
  const resources: Partial<DeviceResources> = {};
  const origins: Partial<Record<DeviceResource, string>> = {};
  for (const resource of RESOURCE_ORDER) {
    const value = given[resource];
    if (value !== undefined) {
      resources[resource] = value;
      origins[resource] = FLAGS[resource];
    }
  }
  if (missing.length > 0) {
    const stack = await describeStack(cloudFormation, stackName);
    const status = stack.StackStatus === undefined ? '' : ` (status ${stack.StackStatus})`;
    const problems: string[] = [];
    for (const resource of missing) {
      const key = STACK_OUTPUT_KEYS[resource];
      const value = stack.Outputs?.find((output) => output.OutputKey === key)?.OutputValue;
      if (value === undefined || value === '') {
        problems.push(`no output ${key}${status}; give ${FLAGS[resource]} NAME instead`);
        continue;
      }
      const problem = deviceResourceProblem(resource, value);
      if (problem !== undefined) {
        problems.push(`output ${key}: ${problem}`);
        continue;
      }
      resources[resource] = value;
      origins[resource] = `stack ${stackName} output ${key}`;
    }
    if (problems.length > 0) throw new StackOutputError(stackName, problems);
  }
  return {
    resources: resources as DeviceResources,
    origins: origins as Record<DeviceResource, string>,
  };
}
