import { resolve } from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import type { S3Client } from '@aws-sdk/client-s3';
import { THING_NAME_PATTERN } from '@coffee-iot/shared';
import { isAwsError } from './aws-errors.js';
import {
  BundleWriteError,
  checkBundleTarget,
  deviceAgentConfig,
  deviceBundleFiles,
  writeDeviceBundle,
} from './device-bundle.js';
import { checkDeviceResources } from './device-resource-checks.js';
import {
  deactivateAndDeleteCertificate,
  deleteCertificateByHand,
  deleteThing,
  deleteThingByHand,
  detachCertificateByHand,
  detachCertificateFromThing,
  detachPolicy,
  detachPolicyByHand,
  type Sleep,
  sleep,
} from './iot-cleanup.js';
import {
  InvalidProvisionOptionsError,
  ProvisionError,
  type ProvisionStep,
  ThingAlreadyExistsError,
} from './provision-errors.js';
import {
  DEFAULT_STACK_NAME,
  type DeviceResource,
  type DeviceResources,
  deviceResourceProblem,
  resolveDeviceResources,
} from './stack-resources.js';
import { UndoStack } from './undo-stack.js';

export interface ProvisionDeps {
  iot: IoTClient;
  cloudFormation: CloudFormationClient;
  /** Reads (HeadBucket) that the photo bucket exists, in the device's region. */
  s3: S3Client;
  /** Reads (GetRole) the IAM role the role alias points to. */
  iam: IAMClient;
  /** Waits between retries while a detachment propagates during rollback (default: a timer). */
  sleep?: Sleep;
}

export interface ProvisionOptions {
  thingName: string;
  /** The region the clients talk to: written to agent.json as the photo bucket's region. */
  region: string;
  /** The bundle directory to create. */
  outDir: string;
  /** Replace an existing bundle directory. */
  force?: boolean;
  /** The deployed stack whose outputs name the policy, role alias and bucket (default CoffeeIot). */
  stackName?: string;
  /** Values that override the stack's outputs (the stack is not read when all three are given). */
  resources?: Partial<DeviceResources>;
}

export interface ProvisionReport {
  thingName: string;
  thingArn: string | undefined;
  region: string;
  certificateId: string;
  certificateArn: string;
  resources: DeviceResources;
  /** Where each resource's name came from: a flag, or a stack output. */
  origins: Record<DeviceResource, string>;
  /** The IAM role the role alias hands out credentials for: it exists and IoT may assume it. */
  roleArn: string;
  /** The iot:Data-ATS host the agent connects to (port 8883). */
  dataEndpoint: string;
  /** The iot:CredentialProvider host the agent gets S3 credentials from. */
  credentialsEndpoint: string;
  /** The bundle directory, absolute. */
  bundleDir: string;
  /** The bundle's files, in the order written. */
  files: string[];
}

function optionProblems(options: ProvisionOptions): string[] {
  const problems: string[] = [];
  if (!THING_NAME_PATTERN.test(options.thingName)) {
    problems.push(
      `thing name "${options.thingName}" must be 1-128 letters, digits, colons, underscores or hyphens`,
    );
  }
  for (const [resource, value] of Object.entries(options.resources ?? {}) as [DeviceResource, string][]) {
    const problem = value === undefined ? undefined : deviceResourceProblem(resource, value);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

/** Fails with ThingAlreadyExistsError when the thing is there: CreateThing would not say so. */
async function requireNewThing(iot: IoTClient, thingName: string, region: string): Promise<void> {
  try {
    await iot.send(new DescribeThingCommand({ thingName }));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return;
    throw error;
  }
  throw new ThingAlreadyExistsError(thingName, region);
}

async function endpointAddress(iot: IoTClient, endpointType: string): Promise<string> {
  const { endpointAddress: address } = await iot.send(new DescribeEndpointCommand({ endpointType }));
  if (address === undefined || address === '') {
    throw new Error(`DescribeEndpoint ${endpointType} answered without an endpointAddress`);
  }
  return address;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '')
    throw new Error(`CreateKeysAndCertificate answered without ${what}`);
  return value;
}

/**
 * Registers a device with AWS IoT Core and writes its bundle:
 *
 * 1. reads, changing nothing: the stack's outputs (unless all of `resources` are given), that the
 *    policy, the role alias, the IAM role it points to (there, and assumable by the IoT credentials
 *    provider) and the photo bucket exist and can be read (checkDeviceResources), that the thing does not exist yet (DescribeThing: CreateThing
 *    succeeds quietly for an existing thing with the same configuration), the iot:Data-ATS and
 *    iot:CredentialProvider endpoints;
 * 2. creates, in order: the thing, keys with an active certificate, the policy attached to the
 *    certificate, the certificate attached to the thing, then the bundle directory.
 *
 * Every read comes first, so a missing stack, policy, role alias, role or bucket, a thing name taken or
 * a missing permission to read fails with nothing created. If a creating step fails, what was
 * created is undone newest first and ProvisionError names the step, the original error (its
 * cause), and anything the rollback could not remove. Also throws InvalidProvisionOptionsError, BundleExistsError, BundleWriteError
 * (bundle directory unusable), ThingAlreadyExistsError, DeviceResourceError and the stack-resources
 * errors, all before anything is created.
 */
export async function provisionThing(
  deps: ProvisionDeps,
  options: ProvisionOptions,
): Promise<ProvisionReport> {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new InvalidProvisionOptionsError(problems);
  const { iot, cloudFormation, s3, iam } = deps;
  const { thingName, region } = options;
  const force = options.force === true;
  const bundleDir = resolve(options.outDir);
  const wait = deps.sleep ?? sleep;

  await checkBundleTarget(options.outDir, { force });
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const { resources, origins } = await resolveDeviceResources(
    cloudFormation,
    stackName,
    options.resources ?? {},
  );
  const { roleArn } = await checkDeviceResources({ iot, s3, iam }, thingName, resources, {
    region,
    stackName,
    origins,
  });

  let step: ProvisionStep = 'DescribeThing';
  let stepDescription = `check that thing ${thingName} does not exist`;
  const undo = new UndoStack();
  try {
    await requireNewThing(iot, thingName, region);

    step = 'DescribeEndpoint';
    stepDescription = 'look up the iot:Data-ATS endpoint';
    const dataEndpoint = await endpointAddress(iot, 'iot:Data-ATS');
    stepDescription = 'look up the iot:CredentialProvider endpoint';
    const credentialsEndpoint = await endpointAddress(iot, 'iot:CredentialProvider');

    step = 'CreateThing';
    stepDescription = `create thing ${thingName}`;
    const thing = await iot.send(new CreateThingCommand({ thingName }));
    undo.push({
      description: `delete thing ${thingName}`,
      byHand: deleteThingByHand(region, thingName),
      undo: () => deleteThing(iot, thingName, wait),
    });

    step = 'CreateKeysAndCertificate';
    stepDescription = 'create keys and an active certificate';
    const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const certificateId = required(created.certificateId, 'certificateId');
    undo.push({
      description: `deactivate and delete certificate ${certificateId}`,
      byHand: deleteCertificateByHand(region, certificateId),
      undo: () => deactivateAndDeleteCertificate(iot, certificateId, wait),
    });
    const certificateArn = required(created.certificateArn, 'certificateArn');
    const certificatePem = required(created.certificatePem, 'certificatePem');
    const privateKey = required(created.keyPair?.PrivateKey, 'keyPair.PrivateKey');

    step = 'AttachPolicy';
    stepDescription = `attach policy ${resources.policyName} to certificate ${certificateId}`;
    await iot.send(new AttachPolicyCommand({ policyName: resources.policyName, target: certificateArn }));
    undo.push({
      description: `detach policy ${resources.policyName} from certificate ${certificateId}`,
      byHand: detachPolicyByHand(region, resources.policyName, certificateArn),
      undo: () => detachPolicy(iot, resources.policyName, certificateArn),
    });

    step = 'AttachThingPrincipal';
    stepDescription = `attach certificate ${certificateId} to thing ${thingName}`;
    await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
    undo.push({
      description: `detach certificate ${certificateId} from thing ${thingName}`,
      byHand: detachCertificateByHand(region, thingName, certificateArn),
      undo: () => detachCertificateFromThing(iot, thingName, certificateArn),
    });

    step = 'WriteDeviceBundle';
    stepDescription = `write the bundle to ${bundleDir}`;
    const agentConfig = deviceAgentConfig({
      thingName,
      dataEndpoint,
      credentialsEndpoint,
      roleAlias: resources.roleAlias,
      bucket: resources.bucket,
      region,
    });
    const files = deviceBundleFiles({ certificatePem, privateKey, agentConfig });
    await writeDeviceBundle(bundleDir, files, { force });

    return {
      thingName,
      thingArn: thing.thingArn,
      region,
      certificateId,
      certificateArn,
      resources,
      origins,
      roleArn,
      dataEndpoint,
      credentialsEndpoint,
      bundleDir,
      files: files.map((file) => file.name),
    };
  } catch (error) {
    // Nothing created yet, and a taken name is its own answer (the existing thing stays as it is).
    if (error instanceof ThingAlreadyExistsError) throw error;
    if (step === 'CreateThing' && isAwsError(error, 'ResourceAlreadyExistsException')) {
      throw new ThingAlreadyExistsError(thingName, region, { cause: error });
    }
    const rollback = await undo.unwind();
    const partialBundle = error instanceof BundleWriteError ? error.leftBehind : undefined;
    throw new ProvisionError(thingName, step, stepDescription, rollback, partialBundle, { cause: error });
  }
}
