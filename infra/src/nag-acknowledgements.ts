import { type Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { StackConfig } from './stack-config.js';
import { STAR_RESOURCE_PACK, STAR_RESOURCE_RULE } from './star-resource-checks.js';

/**
 * One accepted cdk-nag finding: the construct it is accepted on (its path below the stack; the
 * acknowledgement covers that construct and its children only), the exact finding id (rule, and
 * for IAM4/IAM5 the `[Policy::…]`, `[Action::…]` or `[Resource::…]` cdk-nag reports, which is v3's
 * form of `appliesTo`) and the reason.
 */
export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** An acknowledgement names a construct the stack does not have: it would silently accept nothing. */
export class AcknowledgedConstructNotFoundError extends Error {
  constructor(
    readonly acknowledgement: Acknowledgement,
    stackPath: string,
  ) {
    super(
      `cdk-nag acknowledgement ${acknowledgement.id} names ${stackPath}/${acknowledgement.path}, which does not exist: ` +
        'move it to the construct that now owns the finding, or delete it (infra/src/nag-acknowledgements.ts).',
    );
    this.name = 'AcknowledgedConstructNotFoundError';
  }
}

const ack = (path: string, id: string, reason: string): Acknowledgement => ({ path, id, reason });

const NODE_RUNTIME =
  "A CDK-provided function: CDK picks its runtime. coffee-iot's own functions run the newest Node.js (CoffeeLambda).";

/** A CDK-provided function is not on the newest runtime cdk-nag knows (AwsSolutions-L1). */
const runtime = (functionPath: string) => ack(functionPath, 'AwsSolutions-L1', NODE_RUNTIME);

/** The role uses AWSLambdaBasicExecutionRole (and AWSLambdaVPCAccessExecutionRole for a function in the VPC). */
function managedLambdaPolicies(rolePath: string, inVpc = false): Acknowledgement[] {
  const managed = (name: string) =>
    `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${name}]`;
  return [
    ack(
      rolePath,
      managed('AWSLambdaBasicExecutionRole'),
      'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.',
    ),
    ...(inVpc
      ? [
          ack(
            rolePath,
            managed('AWSLambdaVPCAccessExecutionRole'),
            'AWSLambdaVPCAccessExecutionRole is what Lambda needs to manage the ENIs of a function in the VPC; its EC2 actions have no resource-level scope.',
          ),
        ]
      : []),
  ];
}

/** A wildcard in one resource the policy names (AwsSolutions-IAM5[Resource::…]), e.g. an object prefix. */
const resource = (policyPath: string, arn: string, reason: string) =>
  ack(policyPath, `AwsSolutions-IAM5[Resource::${arn}]`, reason);

/** A wildcard in one action the policy names (AwsSolutions-IAM5[Action::…]). */
const action = (policyPath: string, name: string, reason: string) =>
  ack(policyPath, `AwsSolutions-IAM5[Action::${name}]`, reason);

/**
 * `Resource: "*"` in this policy, for exactly these actions: cdk-nag's IAM5 reports `Resource::*`
 * once whatever the actions, so each action is acknowledged too (star-resource-checks.ts) and
 * any other action on `*` in the same policy fails the synth.
 */
function everyResource(policyPath: string, actions: readonly string[], reason: string): Acknowledgement[] {
  return [
    resource(policyPath, '*', reason),
    ...actions.map((name) =>
      ack(policyPath, `${STAR_RESOURCE_PACK}-${STAR_RESOURCE_RULE}[Action::${name}]`, reason),
    ),
  ];
}

// CDK's own singletons: the ids are fixed in aws-cdk-lib (a missing path fails the synth).
const LOG_RETENTION = 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a';
const BUCKET_NOTIFICATIONS = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';
const BUCKET_DEPLOYMENT = 'Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C';

const LAKE = '<LakeBucketB1D32E10.Arn>';
const PHOTOS = '<PhotosBucket4131342A.Arn>';

/** The deployment choices that change which findings exist (stack-config.ts). */
export type AcknowledgedChoices = Pick<StackConfig, 'glueStreamingJob' | 'profile' | 'ingestPath'>;

/**
 * Every cdk-nag finding this stack accepts, each on the construct that has it, with the reason.
 * None is stack-wide: a new finding anywhere (a wildcard on another role, another action on `*`,
 * a new function) fails `cdk synth` until someone decides about it here. The tests fail on an
 * acknowledgement that no longer matches a finding (infra/src/nag-acknowledgements.test.ts).
 */
export function stackAcknowledgements(stack: Stack, choices: AcknowledgedChoices): Acknowledgement[] {
  const { glueStreamingJob, profile, ingestPath } = choices;
  // Only the fleet profile puts the database's Lambdas in the VPC (small: RDS Data API, no VPC).
  const databaseLambdasInVpc = profile === 'fleet';
  // cdk-nag prints a known account and region literally, an unknown one as its pseudo parameter.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;

  const database = [
    ack(
      'Database/Cluster',
      'AwsSolutions-RDS11',
      databaseLambdasInVpc
        ? 'MySQL stays on 3306: the cluster is in isolated subnets reachable only from RDS Proxy, and the Lambdas take the port from the secret; a non-default port adds nothing there.'
        : 'MySQL stays on 3306: the cluster is in isolated subnets whose security group admits nothing (the Lambdas use the RDS Data API); a non-default port adds nothing there.',
    ),
    ack(
      'Database/Cluster',
      'AwsSolutions-RDS14',
      'Backtrack is left off (it is billed per change record); point-in-time restore from 7 days of backups covers recovery.',
    ),
    ...managedLambdaPolicies('Database/MigrateSchema/Function/ServiceRole', databaseLambdasInVpc),
    ...managedLambdaPolicies('Database/SchemaProvider/framework-onEvent/ServiceRole'),
    resource(
      'Database/SchemaProvider/framework-onEvent/ServiceRole/DefaultPolicy',
      '<DatabaseMigrateSchemaFunctionC6F1D246.Arn>:*',
      'The custom-resource framework invokes the migration Lambda (any version), that function only.',
    ),
  ];

  const firehose = (table: 'telemetry' | 'coffees', transform: string): Acknowledgement[] => {
    const delivery = `Ingest/${table === 'telemetry' ? 'Telemetry' : 'Coffees'}Delivery`;
    return [
      ...managedLambdaPolicies(`${delivery}/Transform/Function/ServiceRole`),
      resource(
        `${delivery}/Transform/Function/ServiceRole/DefaultPolicy`,
        `${LAKE}/errors/readings/${table}/*`,
        `The transform writes the ${table} readings it refuses on their own under errors/readings/${table}/ only.`,
      ),
      resource(
        `${delivery}/Role`,
        `${transform}:*`,
        'Firehose invokes its transform Lambda by ARN and version/alias (the :* qualifier), that function only.',
      ),
      resource(
        `${delivery}/Role`,
        `${LAKE}/curated/${table}/*`,
        `Firehose writes the ${table} table under its own prefix, with dynamic partitions.`,
      ),
      resource(
        `${delivery}/Role`,
        `${LAKE}/errors/firehose/${table}/*`,
        `Firehose writes the ${table} records it could not deliver under its own errors/ prefix.`,
      ),
      // Direct PUT delivery streams are encrypted (AWS owned key): only the stream path needs this.
      ...(ingestPath === 'stream'
        ? [
            ack(
              `${delivery}/DeliveryStream`,
              'AwsSolutions-KDF1',
              'Firehose server-side encryption does not apply to a delivery stream whose source is a Kinesis stream; the stream (KMS) and the lake bucket are encrypted.',
            ),
          ]
        : []),
      // From the stream, the telemetry delivery stream alone backs up every record; Direct PUT,
      // each delivery stream backs up its own table's records (the archive replay reads raw/).
      ...(ingestPath === 'direct' || table === 'telemetry'
        ? [
            resource(
              `${delivery}/Role`,
              `${LAKE}/raw/*`,
              'Firehose backs the source records up under raw/ (the archive replay reads).',
            ),
            resource(
              `${delivery}/Role`,
              `${LAKE}/errors/firehose/raw/*`,
              'Firehose writes the source backups it could not deliver under its own errors/ prefix.',
            ),
          ]
        : []),
    ];
  };

  const ingest = [
    resource(
      'Ingest/Rules/Role',
      `${LAKE}/events/coffee/*`,
      'The coffee-events topic rule archives each event under events/coffee/ only.',
    ),
    resource(
      'Ingest/Rules/Role',
      `${LAKE}/errors/rule/*`,
      "The topic rules' error action keeps each message a rule could not deliver under errors/rule/ only.",
    ),
    resource(
      'Ingest/Rules/Role',
      `${LAKE}/errors/identity/*`,
      'The identity rule keeps each message whose deviceId is not its topic thing under errors/identity/ only.',
    ),
    ...everyResource(
      'Ingest/Rules/Role',
      ['cloudwatch:PutMetricData'],
      'The identity rule counts forged device ids; PutMetricData has no resource-level permissions, and a cloudwatch:namespace condition scopes it.',
    ),
    ...managedLambdaPolicies('Ingest/CsvImport/Function/ServiceRole'),
    resource(
      'Ingest/CsvImport/Function/ServiceRole/DefaultPolicy',
      `${LAKE}/imports/*`,
      'The CSV import Lambda reads the uploaded files under imports/ only.',
    ),
    resource(
      'Ingest/CsvImport/Function/ServiceRole/DefaultPolicy',
      `${LAKE}/imports/reports/*`,
      'The CSV import Lambda writes its reports under imports/reports/ only.',
    ),
    // Firehose, unless the Glue streaming job replaces it.
    ...(glueStreamingJob
      ? []
      : [
          ...firehose('telemetry', '<IngestTelemetryDeliveryTransformFunction01ABAB21.Arn>'),
          ...firehose('coffees', '<IngestCoffeesDeliveryTransformFunction05922E99.Arn>'),
        ]),
  ];

  const glueJob = glueStreamingJob
    ? [
        ...['curated', 'errors', 'checkpoints'].map((prefix) =>
          resource(
            'Lake/StreamingJob/Role',
            `${LAKE}/${prefix}/*`,
            `The Glue streaming job writes ${prefix}/ (both tables' partitions, refused records, its Spark checkpoints) and nothing else in the lake.`,
          ),
        ),
        resource(
          'Lake/StreamingJob/Role',
          `arn:<AWS::Partition>:logs:${region}:${account}:log-group:/aws-glue/*`,
          "Glue names its job's log groups itself under /aws-glue/; the job may write only there.",
        ),
      ]
    : [];

  const photos = [
    ack(
      'Photos/FailedEvents',
      'AwsSolutions-SQS3',
      "This queue is the photo Lambda's on-failure destination (async invoke), which is the dead letter: it needs no DLQ of its own.",
    ),
    ...managedLambdaPolicies('Photos/Analyzer/Function/ServiceRole', databaseLambdasInVpc),
    resource(
      'Photos/Analyzer/Function/ServiceRole/DefaultPolicy',
      `${PHOTOS}/photos/*`,
      'The photo Lambda reads photos under photos/ only; object names are per event.',
    ),
    ...everyResource(
      'Photos/Analyzer/Function/ServiceRole/DefaultPolicy',
      ['rekognition:DetectFaces'],
      'rekognition:DetectFaces has no resource-level permissions.',
    ),
  ];

  const deviceIdentity = [
    resource(
      'DeviceIdentity/PhotoUploadRole',
      `${PHOTOS}/photos/<credentials-iot:ThingName>/*`,
      "Device credentials may only PutObject under their own thing's prefix: the policy variable is the least privilege there is.",
    ),
    resource(
      'DeviceIdentity/PhotoUploadRole',
      `${PHOTOS}/logs/<credentials-iot:ThingName>/*`,
      "The upload-logs job: device credentials may only PutObject under their own thing's logs/ prefix.",
    ),
  ];

  const iot = (resource: string) => `arn:<AWS::Partition>:iot:${region}:${account}:${resource}`;
  const fleetOperations = [
    ...managedLambdaPolicies(
      'FleetProvisioning/PreProvisioningHook/Function/ServiceRole',
      databaseLambdasInVpc,
    ),
    resource(
      'FleetProvisioning/ProvisioningRole',
      iot('thing/coffee-pi-*'),
      'Fleet provisioning creates one thing per allow-listed serial, named coffee-pi-{serial}: only things of that name.',
    ),
    resource(
      'FleetProvisioning/ProvisioningRole',
      iot('cert/*'),
      'The certificate provisioned is only known when a device registers: IoT activates it and attaches the device policy to it.',
    ),
    ...everyResource(
      'FleetProvisioning/ProvisioningRole',
      ['iot:AttachThingPrincipal'],
      'iot:AttachThingPrincipal has no resource-level permissions; the provisioning template attaches the new certificate to its new thing only.',
    ),
    ...managedLambdaPolicies('CertRotation/Rotator/Function/ServiceRole'),
    resource(
      'CertRotation/Rotator/Function/ServiceRole/DefaultPolicy',
      iot('cert/*'),
      'Rotation acts on the certificate a device report names and on that thing’s other certificates, known only at run time; the Lambda checks each (cloud/src/cert-rotation).',
    ),
    ...everyResource(
      'CertRotation/Rotator/Function/ServiceRole/DefaultPolicy',
      [
        'iot:ListThingPrincipals',
        'iot:ListPrincipalThings',
        'iot:ListAttachedPolicies',
        'iot:AttachThingPrincipal',
        'iot:DetachThingPrincipal',
      ],
      'These IoT actions have no resource-level permissions: rotation lists and changes the certificates of the reporting thing only.',
    ),
    ack(
      'CertRotation/FailedReports',
      'AwsSolutions-SQS3',
      'This queue is itself where failed certificate reports go (the Lambda on-failure destination and the rule error action): it needs no DLQ of its own.',
    ),
  ];

  const analytics = [
    ...['*', 'exports/*', 'athena-results/*'].map((objects) =>
      resource(
        'Analytics/DailyExport/Role/DefaultPolicy',
        `${LAKE}/${objects}`,
        objects === '*'
          ? 'The daily export reads the lake tables (Athena reads with the caller’s rights); it writes only under exports/ and athena-results/.'
          : `The daily export (Athena) writes under ${objects.replace('*', '')} only.`,
      ),
    ),
    ...everyResource(
      'Analytics/DailyExport/Role/DefaultPolicy',
      [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ],
      'Step Functions log delivery and X-Ray trace writes have no resource-level permissions.',
    ),
    ...managedLambdaPolicies('Analytics/DevicesSnapshot/Function/ServiceRole', databaseLambdasInVpc),
    ack(
      'Analytics/DailyExport',
      'AwsSolutions-SF1',
      'The export logs ERROR events only, without execution data: ALL would log query texts and row counts every day for no operational need.',
    ),
  ];

  const dashboard = [
    ack(
      'Dashboard/Users',
      'AwsSolutions-COG2',
      'MFA is optional with TOTP offered: dashboard users are created by an administrator; set mfa REQUIRED in the Dashboard construct for stricter organisations.',
    ),
    ack(
      'Dashboard/Distribution',
      'AwsSolutions-CFR1',
      'No geo restriction: the dashboard is for the office wherever it is; every API call needs a Cognito token.',
    ),
    ack(
      'Dashboard/Distribution',
      'AwsSolutions-CFR2',
      'No WAF web ACL (about $5 a month plus requests): the distribution serves static files and the API checks a JWT and throttles; add one for a public deployment.',
    ),
    ack(
      'Dashboard/Distribution',
      'AwsSolutions-CFR4',
      "CloudFront's default certificate allows TLSv1; TLS 1.2 minimum is set when a custom domain and certificate are given (Dashboard customDomain).",
    ),
    ...managedLambdaPolicies('Dashboard/ApiFunction/Function/ServiceRole', databaseLambdasInVpc),
    resource(
      'Dashboard/ApiFunction/Function/ServiceRole/DefaultPolicy',
      `${PHOTOS}/photos/*`,
      'The dashboard API links to photos under photos/ only; object names are per event.',
    ),
  ];

  // CDK-provided functions: their code and policies come with aws-cdk-lib.
  const deploymentPolicy = `${BUCKET_DEPLOYMENT}/ServiceRole/DefaultPolicy`;
  const cdkProvided = [
    ...managedLambdaPolicies(`${LOG_RETENTION}/ServiceRole`),
    ...everyResource(
      `${LOG_RETENTION}/ServiceRole/DefaultPolicy`,
      ['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'],
      "CDK's log-retention function sets the retention of log groups it cannot name in advance.",
    ),
    ...managedLambdaPolicies(`${BUCKET_NOTIFICATIONS}/Role`),
    runtime(BUCKET_DEPLOYMENT),
    ...managedLambdaPolicies(`${BUCKET_DEPLOYMENT}/ServiceRole`),
    ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((name) =>
      action(
        deploymentPolicy,
        name,
        "CDK's BucketDeployment copies the dashboard files: read on the CDK asset bucket, write on the site bucket only.",
      ),
    ),
    resource(
      deploymentPolicy,
      '<DashboardSiteAB106610.Arn>/*',
      "CDK's BucketDeployment replaces the dashboard's files in its own site bucket.",
    ),
    resource(
      deploymentPolicy,
      `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}-${region}/*`,
      "CDK's BucketDeployment reads the packaged dashboard from the CDK bootstrap asset bucket.",
    ),
    ...everyResource(
      deploymentPolicy,
      ['cloudfront:GetInvalidation', 'cloudfront:CreateInvalidation'],
      "CDK's BucketDeployment invalidates the dashboard's distribution after a copy; aws-cdk-lib's own policy grants that on `*`.",
    ),
  ];

  return [
    ...database,
    ...ingest,
    ...glueJob,
    ...photos,
    ...deviceIdentity,
    ...fleetOperations,
    ...analytics,
    ...dashboard,
    ...cdkProvided,
  ];
}

function constructAt(stack: Stack, path: string): IConstruct | undefined {
  let current: IConstruct | undefined = stack;
  for (const id of path.split('/')) current = current?.node.tryFindChild(id);
  return current;
}

/**
 * Acknowledges each accepted finding on its own construct. Call at the end of the stack's
 * constructor, once every construct exists; an acknowledgement whose construct is missing throws.
 */
export function acknowledgeFindings(stack: Stack, choices: AcknowledgedChoices): void {
  applyAcknowledgements(stack, stackAcknowledgements(stack, choices));
}

export function applyAcknowledgements(stack: Stack, acknowledgements: readonly Acknowledgement[]): void {
  for (const acknowledgement of acknowledgements) {
    const scope = constructAt(stack, acknowledgement.path);
    if (scope === undefined) throw new AcknowledgedConstructNotFoundError(acknowledgement, stack.node.path);
    Validations.of(scope).acknowledge({ id: acknowledgement.id, reason: acknowledgement.reason });
  }
}
