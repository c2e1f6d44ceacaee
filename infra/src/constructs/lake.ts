import {
  glueTableInput,
  glueViewInput,
  NAMED_QUERIES,
  RAW_TABLE_NAMES,
  VIEW_NAMES,
} from '@coffee-iot/cloud/lake';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnJob, CfnSecurityConfiguration, CfnTable } from 'aws-cdk-lib/aws-glue';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, BucketEncryption, type LifecycleRule, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
// LAKE_PREFIXES is not exported from '@coffee-iot/cloud/lake' (yet): read it from the source.
import { LAKE_PREFIXES } from '../../../cloud/src/lake/layout.js';
import { stackNameWords } from '../stack-names.js';
import { REPO_ROOT } from './coffee-lambda.js';
import { createAccessLogsBucket, PRIVATE_BUCKET } from './private-buckets.js';

/** The lake's tables, as cloud/src/lake/columns.ts names them. */
export type LakeTableName = Parameters<typeof glueTableInput>[0];
export const LAKE_TABLE_NAMES: readonly LakeTableName[] = Object.freeze(['telemetry', 'coffees'] as const);

/**
 * The physical names of the lake's catalog, derived from the stack name so that two stacks
 * (say CoffeeIot and CoffeeIotStaging) live side by side in one account and region: the Glue
 * database `coffee_iot` / `coffee_iot_staging` (Athena wants lower case, digits, underscores),
 * the work group and Glue job `coffee-iot…`. Tables and views are named inside the database, so
 * their names are fixed. Every reader gets the names from the Lake construct (databaseName,
 * workgroupName, viewNames, tableNames), never from a literal.
 */
export interface LakeNames {
  readonly database: string;
  readonly workGroup: string;
  /** The Glue streaming job and its security configuration. */
  readonly streamingJob: string;
}

export function lakeNames(stackName: string): LakeNames {
  const kebab = stackNameWords(stackName, '-');
  return {
    database: stackNameWords(stackName, '_'),
    workGroup: kebab,
    streamingJob: `${kebab}-ingest-stream`,
  };
}
/** Where Athena writes query results in the lake bucket (kept 30 days). */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** Where the Glue streaming job keeps its Spark checkpoints. */
export const CHECKPOINTS_PREFIX = 'checkpoints/';

/**
 * Athena stops (and bills no further) any one query that would scan more than this. 100 GiB
 * holds a day of telemetry for ~10,000 devices (docs/costs.md), so the daily export fits.
 */
export const DEFAULT_ATHENA_SCAN_LIMIT_GIB = 100;
const GLUE_SCRIPT = `${REPO_ROOT}cloud/glue/ingest_stream_job.py`;

export interface LakeProps {
  /**
   * The first ingest year Athena projects partitions for: the year of the oldest data the lake
   * may hold (stack context `coffee-iot:firstYear`, never the day of the synth). Projection then
   * runs PROJECTED_YEARS years from it.
   */
  readonly firstYear: number;
  /**
   * Fill the lake with the Glue streaming job instead of the Firehose delivery streams (Ingest
   * reads this and then creates none). Off by default: the job costs about $640 a month.
   */
  readonly glueStreamingJob: boolean;
  /**
   * The ingest stream the Glue job reads. Optional: Ingest, which creates the stream, connects it
   * through connectIngestStream() when it is not given here.
   */
  readonly ingestStream?: IStream;
  /** Per-query scan limit of the work group, GiB (default DEFAULT_ATHENA_SCAN_LIMIT_GIB). */
  readonly athenaScanLimitGib?: number;
}

/**
 * The data lake: one S3 bucket laid out as cloud/src/lake/layout.ts says (curated/ Parquet, raw/
 * archive, errors/, imports/, exports/), the Glue catalog tables over curated/ (partition
 * projection, no crawler), the Athena workgroup with its guard rails and the saved questions,
 * and — only when asked — the Glue streaming job.
 *
 * Secure defaults, written out: no public access, SSE-S3, TLS 1.2+ only, server access logs to a
 * bucket of their own, every prefix that grows without bound has a lifecycle rule.
 */
export class Lake extends Construct {
  readonly bucket: Bucket;
  /** Server access logs of the lake bucket (under `lake/`), kept a year. */
  readonly accessLogsBucket: Bucket;
  /** The Glue database (Athena's schema) of the lake's tables and views, from the stack name. */
  readonly databaseName: string;
  /** The Athena work group every lake query runs in, from the stack name. */
  readonly workgroupName: string;
  /**
   * The raw Glue tables, telemetry_all and coffees_all: what Firehose's Parquet conversion and
   * the Glue job write, duplicates included. Writers use these; readers use viewNames.
   */
  readonly tableNames: Readonly<Record<LakeTableName, string>>;
  /** The raw Glue tables, for dependencies (Firehose's Parquet conversion reads their schema). */
  readonly tables: Readonly<Record<LakeTableName, CfnTable>>;
  /**
   * The deduplicating views telemetry and coffees over the raw tables: what the named queries,
   * the export and people read. Querying a view needs glue:GetTable on it and on its raw table.
   */
  readonly viewNames: Readonly<Record<LakeTableName, string>>;
  readonly views: Readonly<Record<LakeTableName, CfnTable>>;
  /** The Glue streaming job's name (the job exists only with glueStreamingJob). */
  readonly streamingJobName: string;
  /** Whether the Glue streaming job fills the lake (else Ingest's Firehose delivery streams do). */
  readonly glueStreamingJob: boolean;
  private job: CfnJob | undefined;

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    if (!Number.isInteger(props.firstYear) || props.firstYear < 2000 || props.firstYear > 2100) {
      throw new Error(`Lake: firstYear must be a year from 2000 to 2100, got ${props.firstYear}`);
    }
    this.glueStreamingJob = props.glueStreamingJob;
    this.accessLogsBucket = createAccessLogsBucket(this);

    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      encryption: BucketEncryption.S3_MANAGED,
      // Off: curated/ is rebuilt from raw/ by replay, and versions would keep every replaced file.
      versioned: false,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: lakeLifecycleRules(),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const stack = Stack.of(this);
    const names = lakeNames(stack.stackName);
    this.databaseName = names.database;
    this.workgroupName = names.workGroup;
    this.streamingJobName = names.streamingJob;
    const database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'coffee-iot lake: Sense HAT telemetry and analysed coffee photos, by ingest hour',
      },
    });

    const tables = {} as Record<LakeTableName, CfnTable>;
    const views = {} as Record<LakeTableName, CfnTable>;
    for (const table of LAKE_TABLE_NAMES) {
      const cfnTable = new CfnTable(this, `${pascal(table)}Table`, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: tableInputFor(table, this.bucket.bucketName, props.firstYear),
      });
      cfnTable.addResourceDependency(database);
      tables[table] = cfnTable;
      // A Glue view rather than a custom resource running CREATE VIEW: no Lambda to run, pay for,
      // permit and keep, and CloudFormation deletes it with the stack (glue-tables.ts).
      const view = new CfnTable(this, `${pascal(table)}View`, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: glueViewInput(table, { database: this.databaseName }),
      });
      view.addResourceDependency(cfnTable);
      views[table] = view;
    }
    this.tables = tables;
    this.tableNames = { ...RAW_TABLE_NAMES };
    this.views = views;
    this.viewNames = { ...VIEW_NAMES };

    const scanLimitGib = props.athenaScanLimitGib ?? DEFAULT_ATHENA_SCAN_LIMIT_GIB;
    if (!Number.isInteger(scanLimitGib) || scanLimitGib < 1) {
      throw new Error(`Lake: athenaScanLimitGib must be a whole number of GiB, got ${scanLimitGib}`);
    }
    const workgroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workgroupName,
      description: `coffee-iot lake queries: results encrypted in the lake bucket, ${scanLimitGib} GiB per query at most`,
      state: 'ENABLED',
      // Without it CloudFormation cannot delete a work group that has run a query (cdk destroy).
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Clients cannot send results elsewhere, unencrypted, or lift the cutoff.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: scanLimitGib * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: stack.account,
        },
      },
    });

    for (const query of NAMED_QUERIES) {
      const named = new CfnNamedQuery(this, `Query${pascal(query.name)}`, {
        name: query.name,
        description: query.description,
        database: this.databaseName,
        queryString: query.sql,
        workGroup: workgroup.ref,
      });
      // The named queries read the views (Athena does not check that when saving them).
      for (const view of Object.values(views)) named.addResourceDependency(view);
    }

    if (props.ingestStream) this.connectIngestStream(props.ingestStream);
    this.node.addValidation({
      validate: () =>
        this.glueStreamingJob && this.job === undefined
          ? ['Lake: glueStreamingJob is on but no ingest stream was given (props.ingestStream or Ingest)']
          : [],
    });
  }

  /** The Glue streaming job, when glueStreamingJob is on and the stream is connected. */
  get streamingJob(): CfnJob | undefined {
    return this.job;
  }

  /** Gives the Glue streaming job its stream (nothing to do when glueStreamingJob is off). */
  connectIngestStream(stream: IStream): void {
    if (!this.glueStreamingJob) return;
    if (this.job) throw new Error('Lake: the Glue streaming job already has its ingest stream');
    this.job = new IngestStreamJob(this, 'StreamingJob', {
      stream,
      bucket: this.bucket,
      name: this.streamingJobName,
    }).job;
  }
}

function lakeLifecycleRules(): LifecycleRule[] {
  return [
    {
      // The replay archive is read rarely but must stay readable at once (replay, audits).
      id: 'raw-to-glacier-instant-retrieval',
      prefix: `${LAKE_PREFIXES.raw}/`,
      transitions: [
        { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
      ],
    },
    { id: 'expire-errors', prefix: `${LAKE_PREFIXES.errors}/`, expiration: Duration.days(90) },
    { id: 'expire-athena-results', prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(30) },
    { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
  ];
}

/** A valid bucket name standing in for the lake bucket's deploy-time name. */
const BUCKET_STAND_IN = 'coffee-iot-lake-bucket-stand-in';

/**
 * glueTableInput() exactly, for the lake bucket. It checks that it is given an S3 bucket name,
 * which a CDK token is not, so it builds the input for a stand-in name that is then replaced by
 * the bucket's name (a token that CloudFormation resolves).
 */
function tableInputFor(
  table: LakeTableName,
  bucketName: string,
  firstYear: number,
): CfnTable.TableInputProperty {
  const input = glueTableInput(table, { bucket: BUCKET_STAND_IN, firstYear });
  const text = JSON.stringify(input).split(`s3://${BUCKET_STAND_IN}/`).join(`s3://${bucketName}/`);
  if (text.includes(BUCKET_STAND_IN))
    throw new Error(`Lake: the ${table} table names the bucket outside s3:// URLs`);
  return JSON.parse(text) as CfnTable.TableInputProperty;
}

function pascal(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

interface IngestStreamJobProps {
  readonly stream: IStream;
  readonly bucket: Bucket;
  /** The job's and its security configuration's name (LakeNames.streamingJob). */
  readonly name: string;
}

/**
 * cloud/glue/ingest_stream_job.py as a Glue streaming job: the ingest stream → curated/ Parquet
 * and errors/, Spark checkpoints under checkpoints/ingest-stream/.
 *
 * Cost: a streaming job runs all the time. G.1X is 1 DPU per worker and Glue's minimum for it is
 * 2 workers, so ~$0.44/DPU-hour × 2 DPU × 730 h ≈ $640 a month — against a few dollars for
 * Firehose at this fleet's volume. That is why it is off by default and Firehose is the default
 * path. CloudFormation creates the job but does not run it: start it with
 * `aws glue start-job-run --job-name coffee-iot-ingest-stream` (the name follows the stack's: LakeNames).
 *
 * Its logs and job bookmarks are encrypted with a key of its own (security configuration); the
 * Parquet it writes is SSE-S3 like the rest of the lake.
 */
class IngestStreamJob extends Construct {
  readonly job: CfnJob;

  constructor(scope: Construct, id: string, props: IngestStreamJobProps) {
    super(scope, id);
    const { stream, bucket } = props;
    const stack = Stack.of(this);
    const script = new Asset(this, 'Script', { path: GLUE_SCRIPT });
    // Glue names its log groups /aws-glue/jobs/{security configuration}-role/{role}/…
    const glueLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws-glue/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const key = new Key(this, 'Key', {
      description: 'coffee-iot Glue streaming job: CloudWatch Logs and job bookmarks',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsForGlue',
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
        ],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': glueLogGroups } },
      }),
    );
    const securityConfiguration = new CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      name: props.name,
      encryptionConfiguration: {
        s3Encryptions: [{ s3EncryptionMode: 'SSE-S3' }],
        cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: key.keyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: key.keyArn },
      },
    });

    const lakeObjects = [LAKE_PREFIXES.curated, LAKE_PREFIXES.errors, CHECKPOINTS_PREFIX.slice(0, -1)].map(
      (prefix) => bucket.arnForObjects(`${prefix}/*`),
    );
    const statements = [
      new PolicyStatement({
        sid: 'ReadScript',
        actions: ['s3:GetObject'],
        resources: [script.bucket.arnForObjects(script.s3ObjectKey)],
      }),
      new PolicyStatement({
        sid: 'ReadIngestStream',
        actions: [
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:ListShards',
        ],
        resources: [stream.streamArn],
      }),
      new PolicyStatement({
        sid: 'ListLake',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [bucket.bucketArn],
      }),
      new PolicyStatement({
        // Spark writes through a temporary directory and renames (copy + delete) into place.
        sid: 'WriteLake',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: lakeObjects,
      }),
      new PolicyStatement({
        sid: 'Logs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
        resources: [glueLogGroups],
      }),
      new PolicyStatement({
        sid: 'EncryptLogsAndBookmarks',
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
      }),
    ];
    if (stream.encryptionKey) {
      statements.push(
        new PolicyStatement({
          sid: 'DecryptIngestStream',
          actions: ['kms:Decrypt'],
          resources: [stream.encryptionKey.keyArn],
        }),
      );
    }
    const role = new Role(this, 'Role', {
      description: 'coffee-iot Glue streaming job: read the ingest stream, write the lake',
      assumedBy: new ServicePrincipal('glue.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: { IngestStreamJob: new PolicyDocument({ statements }) },
    });

    this.job = new CfnJob(this, 'Job', {
      name: props.name,
      description:
        'coffee-iot ingest stream → lake (curated/ Parquet, errors/); see cloud/glue/ingest_stream_job.py',
      role: role.roleArn,
      command: { name: 'gluestreaming', scriptLocation: script.s3ObjectUrl, pythonVersion: '3' },
      glueVersion: '4.0',
      workerType: 'G.1X',
      numberOfWorkers: 2,
      executionProperty: { maxConcurrentRuns: 1 },
      securityConfiguration: securityConfiguration.ref,
      defaultArguments: {
        '--job-language': 'python',
        // Streaming jobs resume from their Spark checkpoint; bookmarks are for batch jobs.
        '--job-bookmark-option': 'job-bookmark-disable',
        '--STREAM_ARN': stream.streamArn,
        '--LAKE_ROOT': `s3://${bucket.bucketName}/`,
        '--CHECKPOINT_LOCATION': `s3://${bucket.bucketName}/${CHECKPOINTS_PREFIX}ingest-stream/`,
      },
    });
  }
}
