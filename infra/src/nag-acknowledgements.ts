import { type Stack, Token, Validations } from 'aws-cdk-lib';

/** One acknowledged cdk-nag finding, always with its reason. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

const MANAGED_LOGS_ROLE =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
const MANAGED_VPC_ROLE =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';
const wildcard = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;

/**
 * Every cdk-nag AwsSolutions finding this stack accepts, with the reason. The IDs name the exact
 * finding (rule, and for IAM5 the resource or action), so a new wildcard anywhere is a new
 * finding that fails `cdk synth` until someone decides about it here.
 */
export function stackAcknowledgements(stack: Stack, glueStreamingJob: boolean): Acknowledgement[] {
  // cdk-nag prints a known account and region literally, an unknown one as its pseudo parameter.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const bootstrapAssets = `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}-${region}/*`;
  return [
    // Runtime and managed policies.
    {
      id: 'AwsSolutions-L1',
      reason:
        'Lambdas run nodejs22.x on purpose: the agent and the shared code target Node 20/22 (DESIGN.md), and CDK-provided functions pick their own runtime.',
    },
    {
      id: MANAGED_LOGS_ROLE,
      reason:
        'AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch logs; used by our functions and by CDK-provided ones (bucket notifications, deployment, log retention, custom-resource framework).',
    },
    {
      id: MANAGED_VPC_ROLE,
      reason:
        'AWSLambdaVPCAccessExecutionRole is what Lambda needs to manage the ENIs of a function in the VPC (photo, migrations, dashboard API); its EC2 actions have no resource-level scope.',
    },
    // Services without resource-level permissions.
    {
      id: wildcard('*'),
      reason:
        'Only actions without resource-level permissions: rekognition:DetectFaces (photo Lambda), Step Functions log delivery and X-Ray trace writes (daily export), and CDK-provided functions (log retention; bucket deployment, which invalidates the dashboard distribution).',
    },
    // Object prefixes: a role may touch exactly one prefix, whose objects it cannot name in advance.
    {
      id: wildcard('<PhotosBucket4131342A.Arn>/photos/*'),
      reason:
        'The photo Lambda reads (and the dashboard API links to) photos under photos/ only; object names are per event.',
    },
    {
      id: wildcard('<PhotosBucket4131342A.Arn>/photos/<credentials-iot:ThingName>/*'),
      reason:
        "Device credentials may only PutObject under their own thing's prefix: the policy variable is the least privilege there is.",
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/curated/telemetry/*'),
      reason: 'Firehose writes the telemetry table under its own prefix, with dynamic partitions.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/curated/coffees/*'),
      reason: 'Firehose writes the coffees table under its own prefix, with dynamic partitions.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/raw/*'),
      reason: 'Firehose backs the source records up under raw/ (the archive replay reads).',
    },
    ...['telemetry', 'coffees', 'raw'].map((table) => ({
      id: wildcard(`<LakeBucketB1D32E10.Arn>/errors/firehose/${table}/*`),
      reason: `Firehose writes the records it could not deliver for ${table} under its own errors/ prefix.`,
    })),
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/events/coffee/*'),
      reason: 'The coffee-events topic rule archives each event under events/coffee/ only.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/imports/*'),
      reason: 'The CSV import Lambda reads the uploaded files under imports/ only.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/imports/reports/*'),
      reason: 'The CSV import Lambda writes its reports under imports/reports/ only.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/*'),
      reason:
        'The daily export reads the lake tables (Athena reads with the caller’s rights); it writes only under exports/ and athena-results/.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/exports/*'),
      reason: 'The daily export writes and replaces one day’s files under exports/ only.',
    },
    {
      id: wildcard('<LakeBucketB1D32E10.Arn>/athena-results/*'),
      reason: 'Athena writes query results for the export under athena-results/ only.',
    },
    // Invoking a function's versions.
    ...[
      '<IngestTelemetryDeliveryTransformFunction01ABAB21.Arn>',
      '<IngestCoffeesDeliveryTransformFunction05922E99.Arn>',
    ].map((fn) => ({
      id: wildcard(`${fn}:*`),
      reason:
        'Firehose invokes its transform Lambda by ARN and version/alias (the :* qualifier), that function only.',
    })),
    {
      id: wildcard('<DatabaseMigrateSchemaFunctionC6F1D246.Arn>:*'),
      reason: 'The custom-resource framework invokes the migration Lambda (any version), that function only.',
    },
    // CDK's BucketDeployment (the dashboard's static files).
    ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason:
        "CDK's BucketDeployment copies the dashboard files: read on the CDK asset bucket, write on the site bucket only.",
    })),
    {
      id: wildcard('<DashboardSiteAB106610.Arn>/*'),
      reason: "CDK's BucketDeployment replaces the dashboard's files in its own site bucket.",
    },
    {
      id: wildcard(bootstrapAssets),
      reason: "CDK's BucketDeployment reads the packaged dashboard from the CDK bootstrap asset bucket.",
    },
    // The Glue streaming job, when deployed instead of Firehose.
    ...(glueStreamingJob
      ? [
          ...['curated', 'errors', 'checkpoints'].map((prefix) => ({
            id: wildcard(`<LakeBucketB1D32E10.Arn>/${prefix}/*`),
            reason: `The Glue streaming job writes ${prefix}/ (both tables' partitions, refused records, its Spark checkpoints) and nothing else in the lake.`,
          })),
          {
            id: wildcard(`arn:<AWS::Partition>:logs:${region}:${account}:log-group:/aws-glue/*`),
            reason: "Glue names its job's log groups itself under /aws-glue/; the job may write only there.",
          },
        ]
      : []),
    // Settings chosen deliberately.
    {
      id: 'AwsSolutions-RDS11',
      reason:
        'MySQL stays on 3306: the cluster is in isolated subnets reachable only from RDS Proxy, and the Lambdas take the port from the secret; a non-default port adds nothing there.',
    },
    {
      id: 'AwsSolutions-RDS14',
      reason:
        'Backtrack is left off (it is billed per change record); point-in-time restore from 7 days of backups covers recovery.',
    },
    {
      id: 'AwsSolutions-SF1',
      reason:
        'The export logs ERROR events only, without execution data: ALL would log query texts and row counts every day for no operational need.',
    },
    {
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the photo Lambda's on-failure destination (async invoke), which is the dead letter: it needs no DLQ of its own.",
    },
    {
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose server-side encryption does not apply to a delivery stream whose source is a Kinesis stream; the stream (KMS) and the lake bucket are encrypted.',
    },
    {
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional with TOTP offered: dashboard users are created by an administrator; set mfa REQUIRED in the Dashboard construct for stricter organisations.',
    },
    {
      id: 'AwsSolutions-CFR1',
      reason:
        'No geo restriction: the dashboard is for the office wherever it is; every API call needs a Cognito token.',
    },
    {
      id: 'AwsSolutions-CFR2',
      reason:
        'No WAF web ACL (about $5 a month plus requests): the distribution serves static files and the API checks a JWT and throttles; add one for a public deployment.',
    },
    {
      id: 'AwsSolutions-CFR4',
      reason:
        "CloudFront's default certificate allows TLSv1; TLS 1.2 minimum is set when a custom domain and certificate are given (Dashboard customDomain).",
    },
  ];
}

export function acknowledgeFindings(stack: Stack, glueStreamingJob: boolean): void {
  for (const acknowledgement of stackAcknowledgements(stack, glueStreamingJob)) {
    Validations.of(stack).acknowledge(acknowledgement);
  }
}
