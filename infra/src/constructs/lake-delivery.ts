import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Policy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FIREHOSE_TRANSFORM_NODE_OPTIONS } from '../../../cloud/src/lake/firehose/node-options.js';
import { READING_ERRORS_PREFIX } from '../../../cloud/src/lake/firehose/reading-errors.js';
import { LAKE_PREFIXES } from '../../../cloud/src/lake/layout.js';
import { CoffeeLambda } from './coffee-lambda.js';
import type { Lake, LakeTableName } from './lake.js';

/** Firehose's arrival hour, in the lake's partition layout, for the prefixes that cannot use the Lambda's keys. */
export const ARRIVAL_HOUR =
  'ingest_year=!{timestamp:yyyy}/ingest_month=!{timestamp:MM}/ingest_day=!{timestamp:dd}/ingest_hour=!{timestamp:HH}/';

/** What a delivery stream reads: the Kinesis ingest stream, or its own records (Direct PUT). */
export type DeliverySource =
  | { readonly kind: 'kinesis'; readonly stream: IStream }
  | { readonly kind: 'direct' };

export interface LakeDeliveryProps {
  readonly table: LakeTableName;
  readonly source: DeliverySource;
  readonly lake: Lake;
  /** Also archive every source record, as it arrived, to raw/ (GZIP). */
  readonly archiveRaw: boolean;
}

/**
 * One lake table's Firehose delivery stream: its source (the ingest stream, or Direct PUT from
 * the topic rule and the producers) → the transformation Lambda (this table's rows as NDJSON, any
 * other table's records Dropped, ingest_* partition keys) → Parquet with the Glue table's schema →
 * `curated/{table}/ingest_year=…/…/ingest_hour=…/`.
 *
 * Encryption at rest: a Direct PUT delivery stream keeps records in Firehose's own store until it
 * delivers them, encrypted with an AWS owned key (no key to pay for or keep). Firehose server-side
 * encryption does not apply to one reading a Kinesis stream (the stream is the store, encrypted
 * with alias/aws/kinesis). Objects are SSE-S3 by the bucket's default encryption.
 */
export class LakeDelivery extends Construct {
  readonly deliveryStream: CfnDeliveryStream;
  readonly transform: CoffeeLambda;

  constructor(scope: Construct, id: string, props: LakeDeliveryProps) {
    super(scope, id);
    const { table, source, lake } = props;
    const stack = Stack.of(this);

    this.transform = new CoffeeLambda(this, 'Transform', {
      handler: 'firehose-transform',
      description: `coffee-iot Firehose transformation: ingest records → ${table} rows`,
      environment: {
        LAKE_TABLE: table,
        MAX_REINGESTS: '3',
        PARTITION_KEYS: 'true',
        LAKE_BUCKET: lake.bucket.bucketName,
        // A young generation that holds one invocation's answers (see node-options.ts).
        NODE_OPTIONS: FIREHOSE_TRANSFORM_NODE_OPTIONS,
      },
      timeout: Duration.minutes(1),
    });
    // The readings refused on their own go to errors/readings/{table}/ (their records are Ok).
    this.transform.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'WriteRefusedReadings',
        actions: ['s3:PutObject'],
        resources: [lake.bucket.arnForObjects(`${READING_ERRORS_PREFIX}${table}/*`)],
      }),
    );

    // Delivery errors, kept a month; deleted with the stack (the refused records are in the lake).
    const logs = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const destinationLogs = new LogStream(this, 'DestinationLogs', {
      logGroup: logs,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const backupLogs = new LogStream(this, 'BackupLogs', {
      logGroup: logs,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const curated = `${LAKE_PREFIXES.curated}/${table}/`;
    const errors = `${LAKE_PREFIXES.errors}/firehose/${table}/`;
    const rawErrors = `${LAKE_PREFIXES.errors}/firehose/raw/`;
    const raw = `${LAKE_PREFIXES.raw}/`;
    const written = [curated, errors, ...(props.archiveRaw ? [raw, rawErrors] : [])];
    const glueArn = (resource: string, resourceName?: string) =>
      stack.formatArn({ service: 'glue', resource, ...(resourceName === undefined ? {} : { resourceName }) });

    const role = new Role(this, 'Role', {
      description: `coffee-iot Firehose delivery of the ${table} table`,
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
      inlinePolicies: {
        Delivery: new PolicyDocument({
          statements: [
            ...(source.kind === 'kinesis'
              ? [
                  new PolicyStatement({
                    sid: 'ReadIngestStream',
                    actions: [
                      'kinesis:DescribeStream',
                      'kinesis:GetShardIterator',
                      'kinesis:GetRecords',
                      'kinesis:ListShards',
                    ],
                    resources: [source.stream.streamArn],
                  }),
                ]
              : []),
            new PolicyStatement({
              sid: 'Transform',
              actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
              // The function, and its versions ($LATEST included), whichever ARN Firehose calls.
              resources: [this.transform.function.functionArn, `${this.transform.function.functionArn}:*`],
            }),
            new PolicyStatement({
              sid: 'ReadTableSchema',
              actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
              resources: [
                glueArn('catalog'),
                glueArn('database', lake.databaseName),
                glueArn('table', `${lake.databaseName}/${lake.tableNames[table]}`),
              ],
            }),
            new PolicyStatement({
              sid: 'ListLake',
              actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
              resources: [lake.bucket.bucketArn],
            }),
            new PolicyStatement({
              // The S3 actions Firehose documents for a destination, on its own prefixes only.
              sid: 'WriteLake',
              actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
              resources: written.map((prefix) => lake.bucket.arnForObjects(`${prefix}*`)),
            }),
            new PolicyStatement({
              sid: 'Logs',
              actions: ['logs:PutLogEvents'],
              resources: [logs.logGroupArn],
            }),
          ],
        }),
      },
    });

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      // No deliveryStreamName: CloudFormation derives one from the stack name (stacks coexist).
      ...(source.kind === 'kinesis'
        ? {
            deliveryStreamType: 'KinesisStreamAsSource',
            kinesisStreamSourceConfiguration: {
              kinesisStreamArn: source.stream.streamArn,
              roleArn: role.roleArn,
            },
          }
        : {
            deliveryStreamType: 'DirectPut',
            deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
          }),
      extendedS3DestinationConfiguration: {
        bucketArn: lake.bucket.bucketArn,
        roleArn: role.roleArn,
        // The transformation answers every Ok record with these keys (ingest time of the stream).
        prefix:
          `${curated}ingest_year=!{partitionKeyFromLambda:ingest_year}/ingest_month=!{partitionKeyFromLambda:ingest_month}` +
          '/ingest_day=!{partitionKeyFromLambda:ingest_day}/ingest_hour=!{partitionKeyFromLambda:ingest_hour}/',
        // processing-failed/, format-conversion-failed/…: the refused records, kept 90 days.
        errorOutputPrefix: `${errors}!{firehose:error-output-type}/${ARRIVAL_HOUR}`,
        // Fewer, bigger files: Athena reads few large Parquet files much faster than many small ones.
        bufferingHints: { sizeInMBs: 64, intervalInSeconds: 300 },
        // Parquet compresses its own pages (SNAPPY); Firehose requires UNCOMPRESSED with conversion.
        compressionFormat: 'UNCOMPRESSED',
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logs.logGroupName,
          logStreamName: destinationLogs.logStreamName,
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              parameters: [
                { parameterName: 'LambdaArn', parameterValue: this.transform.function.functionArn },
                { parameterName: 'NumberOfRetries', parameterValue: '3' },
                // 1 MB in keeps the answer (rows are wider than envelopes) well under 6 MB.
                { parameterName: 'BufferSizeInMBs', parameterValue: '1' },
                { parameterName: 'BufferIntervalInSeconds', parameterValue: '60' },
              ],
            },
          ],
        },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
          schemaConfiguration: {
            catalogId: stack.account,
            region: stack.region,
            databaseName: lake.databaseName,
            tableName: lake.tableNames[table],
            roleArn: role.roleArn,
            versionId: 'LATEST',
          },
        },
        s3BackupMode: props.archiveRaw ? 'Enabled' : 'Disabled',
        ...(props.archiveRaw
          ? {
              // The source records before any transform, what replay rebuilds the lake from.
              s3BackupConfiguration: {
                bucketArn: lake.bucket.bucketArn,
                roleArn: role.roleArn,
                prefix: `${raw}${ARRIVAL_HOUR}`,
                errorOutputPrefix: `${rawErrors}!{firehose:error-output-type}/${ARRIVAL_HOUR}`,
                compressionFormat: 'GZIP',
                bufferingHints: { sizeInMBs: 64, intervalInSeconds: 300 },
                cloudWatchLoggingOptions: {
                  enabled: true,
                  logGroupName: logs.logGroupName,
                  logStreamName: backupLogs.logStreamName,
                },
              },
            }
          : {}),
      },
    });
    // Firehose reads the table's schema when it starts converting.
    this.deliveryStream.addResourceDependency(lake.tables[table]);

    // An answer that would pass Lambda's 6 MB response limit puts the overflow back where it came
    // from: the ingest stream (Firehose disables PutRecordBatch on a Kinesis-sourced delivery
    // stream), or this delivery stream. A Policy of its own, not the role's default policy: the
    // function waits for its default policy, and the delivery stream for the function.
    new Policy(this, 'ReingestPolicy', {
      roles: [this.transform.function.role as Role],
      statements: [
        source.kind === 'kinesis'
          ? new PolicyStatement({
              sid: 'ReingestOverflow',
              actions: ['kinesis:PutRecords'],
              resources: [source.stream.streamArn],
            })
          : new PolicyStatement({
              sid: 'ReingestOverflow',
              actions: ['firehose:PutRecordBatch'],
              resources: [this.deliveryStream.attrArn],
            }),
      ],
    });
  }
}
