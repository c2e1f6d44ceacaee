import { resolve } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { THING_NAME_PATTERN } from '@coffee-iot/shared';
import { AWS_REGION_PATTERN, checkAwsSetup } from '../../provision/aws-session.js';
import { BUNDLE_FILE_NAMES, PI_CONFIG_DIR } from '../../provision/device-bundle.js';
import { formatProvisionReport } from '../../provision/provision-report.js';
import { provisionThing } from '../../provision/provision-thing.js';
import {
  DEFAULT_STACK_NAME,
  type DeviceResource,
  type DeviceResources,
  deviceResourceProblem,
  STACK_OUTPUT_KEYS,
} from '../../provision/stack-resources.js';
import { UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { nonEmpty, parseCommandLine, runLakeCommand } from '../lake-command.js';

const FILES = BUNDLE_FILE_NAMES;

export const PROVISION_USAGE = `Usage: coffee-iot provision THING [--out DIR] [--force] [--stack NAME] [--region R]
                             [--policy NAME] [--role-alias NAME] [--bucket NAME]

Registers a coffee machine's Pi with AWS IoT Core as THING (its thing name) and writes its device
bundle: creates the thing and keys with an active certificate, attaches the stack's IoT policy to
the certificate and the certificate to the thing, and writes DIR/ with ${FILES.certificate},
${FILES.privateKey} (mode 0600), ${FILES.rootCa} and ${FILES.agentConfig} (for ${PI_CONFIG_DIR}/ on the Pi:
MQTT and credential provider endpoints, role alias, photo bucket). Everything is read first: the
stack's outputs, that the policy, the role alias, the IAM role it points to (and that IoT's
credentials provider may assume it) and the bucket (in the region) exist and can be read, and that
the thing does not; so a missing stack or resource, or a thing name in use, changes nothing. If a later step fails, what was created is undone, and anything that could not be is
named with the command that removes it.

  --out DIR            the bundle directory to create (default ./THING)
  --force              replace DIR if it exists
  --stack NAME         the deployed stack whose outputs ${STACK_OUTPUT_KEYS.policyName}, ${STACK_OUTPUT_KEYS.roleAlias} and
                       ${STACK_OUTPUT_KEYS.bucket} name the policy, role alias and bucket (default ${DEFAULT_STACK_NAME})
  --policy NAME        the IoT policy for the certificate, instead of the stack's
  --role-alias NAME    the IoT role alias for photo uploads, instead of the stack's
  --bucket NAME        the photo bucket, instead of the stack's (with all three, the stack is not read)
  --region R           the AWS region (default: the AWS SDK's, e.g. $AWS_REGION)
  -h, --help           show this help

AWS credentials come from the usual AWS environment (AWS_PROFILE, aws sso login …). The private
key exists only in the bundle: AWS keeps no copy.
Exit status: 0 provisioned; 1 failed (rolled back, or nothing created); 2 bad usage.
`;

/** Creates the SDK clients; tests pass clients whose calls aws-sdk-client-mock answers. */
export interface ProvisionClients {
  iot(region: string | undefined): IoTClient;
  cloudFormation(region: string | undefined): CloudFormationClient;
  s3(region: string | undefined): S3Client;
  iam(region: string | undefined): IAMClient;
}

/** The user's default credential chain and region, unless --region. */
const DEFAULT_CLIENTS: ProvisionClients = {
  iot: (region) => new IoTClient(region === undefined ? {} : { region }),
  cloudFormation: (region) => new CloudFormationClient(region === undefined ? {} : { region }),
  // Following the redirect, HeadBucket names a bucket's region instead of failing with a 301.
  s3: (region) => new S3Client({ ...(region === undefined ? {} : { region }), followRegionRedirects: true }),
  // IAM is global; the region only picks the partition's endpoint (aws, aws-cn, aws-us-gov).
  iam: (region) => new IAMClient(region === undefined ? {} : { region }),
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  policy: { type: 'string' },
  'role-alias': { type: 'string' },
  bucket: { type: 'string' },
} as const;

const RESOURCE_FLAGS = { policyName: 'policy', roleAlias: 'role-alias', bucket: 'bucket' } as const;

interface ProvisionCommand {
  thingName: string;
  outArg: string;
  outDir: string;
  force: boolean;
  stackName: string;
  region: string | undefined;
  resources: Partial<DeviceResources>;
}

/** The one THING argument, checked: shared by provision and deprovision. */
export function thingArgument(positionals: readonly string[], verb: string): string {
  const [thing, ...extra] = positionals;
  if (thing === undefined) throw new UsageError(`name the THING to ${verb} (its AWS IoT thing name)`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (!THING_NAME_PATTERN.test(thing)) {
    throw new UsageError(
      `THING "${thing}" is not a thing name (1-128 letters, digits, colons, underscores or hyphens)`,
    );
  }
  return thing;
}

/** --region, checked: shared by provision and deprovision. */
export function regionFlag(value: string | undefined): string | undefined {
  const region = nonEmpty('--region', value);
  if (region !== undefined && !AWS_REGION_PATTERN.test(region)) {
    throw new UsageError(`--region "${region}" is not an AWS region name such as eu-west-1`);
  }
  return region;
}

function provisionCommand(argv: readonly string[], io: CliIo): ProvisionCommand | 'help' {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
  if (values.help === true) return 'help';
  const thingName = thingArgument(positionals, 'provision');
  const resources: Partial<DeviceResources> = {};
  for (const [resource, flag] of Object.entries(RESOURCE_FLAGS) as [DeviceResource, string][]) {
    const value = nonEmpty(`--${flag}`, values[flag as keyof typeof values] as string | undefined);
    if (value === undefined) continue;
    const problem = deviceResourceProblem(resource, value);
    if (problem !== undefined) throw new UsageError(`--${flag}: ${problem}`);
    resources[resource] = value;
  }
  const outArg = nonEmpty('--out', values.out) ?? thingName;
  return {
    thingName,
    outArg,
    outDir: resolve(io.cwd ?? process.cwd(), outArg),
    force: values.force === true,
    stackName: nonEmpty('--stack', values.stack) ?? DEFAULT_STACK_NAME,
    region: regionFlag(values.region),
    resources,
  };
}

/**
 * `coffee-iot provision THING …` with the arguments after `provision` (PROVISION_USAGE). Returns
 * the exit code; never throws.
 */
export function runProvision(
  argv: readonly string[],
  io: CliIo,
  clients: ProvisionClients = DEFAULT_CLIENTS,
): Promise<number> {
  return runLakeCommand(
    {
      name: 'provision',
      usage: PROVISION_USAGE,
      parse: provisionCommand,
      run: async (command) => {
        const iot = clients.iot(command.region);
        const cloudFormation = clients.cloudFormation(command.region);
        const s3 = clients.s3(command.region);
        const iam = clients.iam(command.region);
        try {
          const region = await checkAwsSetup(
            iot,
            'read the stack, the IoT policy, role alias, its IAM role and photo bucket, and create IoT things and certificates',
          );
          const report = await provisionThing(
            { iot, cloudFormation, s3, iam },
            {
              thingName: command.thingName,
              region,
              outDir: command.outDir,
              force: command.force,
              stackName: command.stackName,
              resources: command.resources,
            },
          );
          io.stdout.write(formatProvisionReport(report, command.outArg));
          return EXIT_OK;
        } finally {
          iot.destroy();
          cloudFormation.destroy();
          s3.destroy();
          iam.destroy();
        }
      },
      // Their messages say what failed, with the AWS error's own name.
      plainErrors: [
        'AwsSetupError',
        'ProvisionError',
        'ThingAlreadyExistsError',
        'BundleExistsError',
        'BundleWriteError',
        'StackNotFoundError',
        'StackOutputError',
        'StackReadError',
        'DeviceResourceError',
      ],
    },
    argv,
    io,
  );
}
