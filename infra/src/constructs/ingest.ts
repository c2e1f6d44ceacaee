import {
  IDENTITY_MISMATCH_REASON,
  TOPIC_RULE_SQL_VERSION,
  telemetryTopicRuleSql,
  thingTopicLevel,
  topicFilter,
  topicPrefixProblem,
} from '@coffee-iot/shared';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { type IStream, Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
// Not exported from '@coffee-iot/cloud/lake' (yet): the lake's prefixes and the pipeline metrics.
import {
  PIPELINE_METRICS,
  PIPELINE_METRICS_NAMESPACE,
} from '../../../cloud/src/lake/firehose/pipeline-metrics.js';
import { READING_ERRORS_PREFIX } from '../../../cloud/src/lake/firehose/reading-errors.js';
import { IMPORT_PREFIX, IMPORT_REPORT_PREFIX } from '../../../cloud/src/lake/import/s3-csv-import.js';
import { LAKE_PREFIXES } from '../../../cloud/src/lake/layout.js';
import { RULE_ERROR_S3_KEY_TEMPLATE, RULE_ERRORS_PREFIX } from '../../../cloud/src/lake/rule-errors.js';
import { CoffeeLambda } from './coffee-lambda.js';
import { LAKE_TABLE_NAMES, type Lake, type LakeTableName } from './lake.js';
import { PipelineAlarms } from './pipeline-alarms.js';

/** Where the coffee-events rule archives each coffee event as it was published. */
export const COFFEE_EVENTS_PREFIX = 'events/coffee/';
/** Where the identity rule keeps each message whose deviceId is not its topic's thing name. */
export const IDENTITY_ERRORS_PREFIX = `${LAKE_PREFIXES.errors}/identity`;
/** The delivery stream that also archives the stream as it arrived to raw/ (one copy is enough). */
export const RAW_ARCHIVE_TABLE: LakeTableName = 'telemetry';

/** Firehose's arrival hour, in the lake's partition layout, for the prefixes that cannot use the Lambda's keys. */
const ARRIVAL_HOUR =
  'ingest_year=!{timestamp:yyyy}/ingest_month=!{timestamp:MM}/ingest_day=!{timestamp:dd}/ingest_hour=!{timestamp:HH}/';

export interface IngestProps {
  /** The topic prefix devices publish under (`{prefix}/{thing}/{kind}`), e.g. `dt/coffee-iot`. */
  readonly topicPrefix: string;
  /** The lake the stream fills: its bucket and tables, and whether its Glue job or Firehose does it. */
  readonly lake: Lake;
  /** Provisioned shards of the ingest stream (default 1: 1 MB/s or 1,000 records/s in). */
  readonly shardCount?: number;
  /** Where the pipeline's integrity alarms notify (forged device ids, refused readings). */
  readonly alarmTopic?: ITopic;
}

/**
 * Everything between IoT Core and the lake: the ingest stream, the topic rules that feed it (and
 * archive coffee events), the Firehose delivery streams that turn it into the lake's Parquet
 * tables (the default path; none when the lake runs its Glue streaming job), and the CSV import
 * that backfills the stream from files dropped under the lake's `imports/`.
 */
export class Ingest extends Construct {
  readonly stream: Stream;
  readonly telemetryRule: CfnTopicRule;
  readonly coffeeEventsRule: CfnTopicRule;
  /** Messages on any device topic but telemetry whose deviceId is not the topic's thing name. */
  readonly identityMismatchRule: CfnTopicRule;
  /** IdentityMismatches and RefusedReadings, any in 5 minutes. */
  readonly alarms: PipelineAlarms;
  /** One delivery stream per lake table; empty when the lake's Glue streaming job fills it. */
  readonly deliveryStreams: Readonly<Partial<Record<LakeTableName, CfnDeliveryStream>>>;
  readonly csvImport: NodejsFunction;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const problem = topicPrefixProblem(props.topicPrefix);
    if (problem) throw new Error(`Ingest: topicPrefix "${props.topicPrefix}" ${problem}`);
    const shardCount = props.shardCount ?? 1;
    if (!Number.isInteger(shardCount) || shardCount < 1) {
      throw new Error(`Ingest: shardCount must be a whole number ≥ 1, got ${shardCount}`);
    }

    // Provisioned, 1 shard: ~$11 a month (0.015 $/shard-hour) for far more than a fleet of Pis at
    // 1 Hz sends (1 MB/s, 1,000 records/s in; 2 MB/s out, shared by the two delivery streams).
    // On-demand starts at ~$29 a month per stream and only pays off with spiky, larger traffic.
    // No streamName: CloudFormation derives one from the stack name, so stacks coexist in an
    // account and region; the rules and functions get it by reference (INGEST_STREAM_NAME).
    this.stream = new Stream(this, 'Stream', {
      streamMode: StreamMode.PROVISIONED,
      shardCount,
      // The AWS managed key (alias/aws/kinesis): encrypted at rest with no key policy to keep and no
      // per-consumer KMS grants (cdk-nag AwsSolutions-KDS3).
      encryption: StreamEncryption.MANAGED,
      // 24 h, the minimum: the raw/ archive, not the stream, is what replay reads.
      retentionPeriod: Duration.hours(24),
      // Deleted with the stack: a retained stream keeps billing by the shard-hour, and the lake's
      // raw/ archive, not the stream, is what replay reads (it holds minutes not yet delivered).
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const rules = new TopicRules(this, 'Rules', {
      topicPrefix: props.topicPrefix,
      stream: this.stream,
      lake: props.lake,
    });
    this.telemetryRule = rules.telemetry;
    this.coffeeEventsRule = rules.coffeeEvents;
    this.identityMismatchRule = rules.identityMismatches;
    this.alarms = new PipelineAlarms(
      this,
      'Alarms',
      props.alarmTopic ? { alarmTopic: props.alarmTopic } : {},
    );

    const deliveryStreams: Partial<Record<LakeTableName, CfnDeliveryStream>> = {};
    if (props.lake.glueStreamingJob) {
      if (!props.lake.streamingJob) props.lake.connectIngestStream(this.stream);
    } else {
      for (const table of LAKE_TABLE_NAMES) {
        deliveryStreams[table] = new LakeDelivery(
          this,
          `${table.charAt(0).toUpperCase()}${table.slice(1)}Delivery`,
          {
            table,
            stream: this.stream,
            lake: props.lake,
            archiveRaw: table === RAW_ARCHIVE_TABLE,
          },
        ).deliveryStream;
      }
    }
    this.deliveryStreams = deliveryStreams;

    this.csvImport = csvImport(this, this.stream, props.lake);
  }
}

interface TopicRulesProps {
  readonly topicPrefix: string;
  readonly stream: IStream;
  readonly lake: Lake;
}

/**
 * The IoT SQL of the rule that catches forged device ids: every message on a device topic under
 * `prefix` but telemetry whose `deviceId` is missing, not a string, or not the topic's thing name
 * (IoT Core's policy binds the topic's thing to the certificate; the payload is only a claim).
 * It keeps the message's bytes (base64: a payload that is not JSON has no deviceId and is caught
 * too) with the topic, client id and arrival. Telemetry is left to the lake's transform, which
 * refuses, keeps and counts it itself: counting it here as well would count every forgery twice.
 */
export function identityMismatchRuleSql(prefix: string): string {
  if (prefix.includes("'")) throw new TypeError(`topic prefix "${prefix}" must not contain a single quote`);
  const thing = `topic(${thingTopicLevel(prefix)})`;
  const kind = `topic(${thingTopicLevel(prefix) + 1})`;
  return [
    `SELECT topic() AS topic, clientid() AS clientId, encode(*, 'base64') AS base64OriginalPayload,`,
    `timestamp() AS arrivedAtMs, ${thing} AS thing, '${IDENTITY_MISMATCH_REASON}' AS reason`,
    `FROM '${topicFilter(prefix, '+')}'`,
    `WHERE ${kind} <> 'telemetry' AND NOT (${sameDevice(thing)})`,
  ].join(' ');
}

/**
 * The payload's deviceId is the topic's thing. isString() first: a comparison with a missing or
 * non-string deviceId is Undefined in IoT SQL, and a WHERE that is Undefined drops the message.
 */
function sameDevice(thing: string): string {
  return `isString(deviceId) AND deviceId = ${thing}`;
}

/** The key template of the identity rule's S3 action: the rule errors' hourly layout under errors/identity/. */
export const IDENTITY_ERROR_S3_KEY_TEMPLATE = `${IDENTITY_ERRORS_PREFIX}${RULE_ERROR_S3_KEY_TEMPLATE.slice(RULE_ERRORS_PREFIX.length)}`;

/**
 * The telemetry rule (→ ingest stream), the coffee-events rule (→ lake archive) and the identity
 * rule (→ errors/identity/ and a CloudWatch metric), one role. Each has one error action, and it
 * is S3, the lake's errors/rule/: a message a rule could not deliver never reached the stream or
 * the archive, so the lake keeps its only copy, in AWS IoT's error message shape (topic, client
 * id, base64 payload, failures), where the local stack writes its own (cloud/src/lake/rule-errors.ts).
 * CloudWatch Logs would only hold it 30 days, away from the rest of the lake's errors.
 */
class TopicRules extends Construct {
  readonly telemetry: CfnTopicRule;
  readonly coffeeEvents: CfnTopicRule;
  readonly identityMismatches: CfnTopicRule;

  constructor(scope: Construct, id: string, props: TopicRulesProps) {
    super(scope, id);
    const { stream, lake } = props;
    const stack = Stack.of(this);
    // `{prefix}/{thing}/{kind}`: the thing name is the topic level right after the prefix.
    const thingLevel = `topic(${thingTopicLevel(props.topicPrefix)})`;
    const thing = `\${${thingLevel}}`;

    const role = new Role(this, 'Role', {
      description:
        'coffee-iot topic rules: put telemetry on the ingest stream, archive coffee events, keep refused messages in the lake',
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        TopicRules: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'PutTelemetry',
              actions: ['kinesis:PutRecord'],
              resources: [stream.streamArn],
            }),
            new PolicyStatement({
              sid: 'ArchiveCoffeeEvents',
              actions: ['s3:PutObject'],
              resources: [lake.bucket.arnForObjects(`${COFFEE_EVENTS_PREFIX}*`)],
            }),
            new PolicyStatement({
              sid: 'KeepRefusedMessages',
              actions: ['s3:PutObject'],
              resources: [
                lake.bucket.arnForObjects(`${RULE_ERRORS_PREFIX}/*`),
                lake.bucket.arnForObjects(`${IDENTITY_ERRORS_PREFIX}/*`),
              ],
            }),
            new PolicyStatement({
              // PutMetricData has no resource-level permissions: the namespace condition is its scope.
              sid: 'CountIdentityMismatches',
              actions: ['cloudwatch:PutMetricData'],
              resources: ['*'],
              conditions: { StringEquals: { 'cloudwatch:namespace': PIPELINE_METRICS_NAMESPACE } },
            }),
          ],
        }),
      },
    });
    const errorAction: CfnTopicRule.ActionProperty = {
      s3: { bucketName: lake.bucket.bucketName, key: RULE_ERROR_S3_KEY_TEMPLATE, roleArn: role.roleArn },
    };

    this.telemetry = new CfnTopicRule(this, 'Telemetry', {
      topicRulePayload: {
        description:
          "Device telemetry envelopes, plus type=telemetry and the topic's thing, onto the ingest stream",
        sql: telemetryTopicRuleSql(props.topicPrefix),
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        // Partition key = thing name = device id (DESIGN.md): one device's records stay in order.
        actions: [{ kinesis: { streamName: stream.streamName, partitionKey: thing, roleArn: role.roleArn } }],
        errorAction,
      },
    });

    this.coffeeEvents = new CfnTopicRule(this, 'CoffeeEvents', {
      topicRulePayload: {
        description:
          'Coffee button events whose deviceId is their topic thing, archived as published under events/coffee/{thing}/ in the lake',
        // The others (forged, missing or malformed deviceId) are the identity rule's.
        sql: `SELECT * FROM '${topicFilter(props.topicPrefix, 'coffee')}' WHERE ${sameDevice(thingLevel)}`,
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          {
            s3: {
              bucketName: lake.bucket.bucketName,
              key: `${COFFEE_EVENTS_PREFIX}${thing}/\${timestamp()}.json`,
              roleArn: role.roleArn,
            },
          },
        ],
        errorAction,
      },
    });

    this.identityMismatches = new CfnTopicRule(this, 'IdentityMismatches', {
      topicRulePayload: {
        description: `Messages whose deviceId is not their topic thing (${IDENTITY_MISMATCH_REASON}): kept under ${IDENTITY_ERRORS_PREFIX}/ and counted`,
        sql: identityMismatchRuleSql(props.topicPrefix),
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          {
            s3: {
              bucketName: lake.bucket.bucketName,
              key: IDENTITY_ERROR_S3_KEY_TEMPLATE,
              roleArn: role.roleArn,
            },
          },
          {
            cloudwatchMetric: {
              metricNamespace: PIPELINE_METRICS_NAMESPACE,
              metricName: PIPELINE_METRICS.identityMismatches,
              metricValue: '1',
              metricUnit: 'Count',
              roleArn: role.roleArn,
            },
          },
        ],
        errorAction,
      },
    });
  }
}

interface LakeDeliveryProps {
  readonly table: LakeTableName;
  readonly stream: IStream;
  readonly lake: Lake;
  /** Also archive every stream record, as it arrived, to raw/ (GZIP). */
  readonly archiveRaw: boolean;
}

/**
 * One lake table's Firehose delivery stream: the ingest stream → the transformation Lambda
 * (this table's rows as NDJSON, the other table's records Dropped, ingest_* partition keys) →
 * Parquet with the Glue table's schema → `curated/{table}/ingest_year=…/…/ingest_hour=…/`.
 *
 * Firehose server-side encryption does not apply to a delivery stream reading a Kinesis stream
 * (the stream is the store, encrypted with alias/aws/kinesis); objects are SSE-S3 by the bucket's
 * default encryption.
 */
class LakeDelivery extends Construct {
  readonly deliveryStream: CfnDeliveryStream;
  readonly transform: CoffeeLambda;

  constructor(scope: Construct, id: string, props: LakeDeliveryProps) {
    super(scope, id);
    const { table, stream, lake } = props;
    const stack = Stack.of(this);

    this.transform = new CoffeeLambda(this, 'Transform', {
      handler: 'firehose-transform',
      description: `coffee-iot Firehose transformation: ingest records → ${table} rows`,
      environment: {
        LAKE_TABLE: table,
        MAX_REINGESTS: '3',
        PARTITION_KEYS: 'true',
        LAKE_BUCKET: lake.bucket.bucketName,
      },
      timeout: Duration.minutes(1),
    });
    // An answer that would pass Lambda's 6 MB response limit puts the overflow back on the stream
    // (Firehose disables PutRecordBatch on a Kinesis-sourced delivery stream).
    this.transform.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReingestOverflow',
        actions: ['kinesis:PutRecords'],
        resources: [stream.streamArn],
      }),
    );
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
            new PolicyStatement({
              sid: 'ReadIngestStream',
              actions: [
                'kinesis:DescribeStream',
                'kinesis:GetShardIterator',
                'kinesis:GetRecords',
                'kinesis:ListShards',
              ],
              resources: [stream.streamArn],
            }),
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
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: stream.streamArn, roleArn: role.roleArn },
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
  }
}

/**
 * The CSV backfill: a `.csv` dropped under `imports/` in the lake bucket is put on the ingest
 * stream (as the devices' records would have been), and a report lands under `imports/reports/`.
 */
function csvImport(scope: Construct, stream: IStream, lake: Lake): NodejsFunction {
  const lambda = new CoffeeLambda(scope, 'CsvImport', {
    handler: 'csv-import',
    description: 'coffee-iot CSV backfill: imports/*.csv in the lake bucket → ingest stream',
    environment: { INGEST_STREAM_NAME: stream.streamName },
    memorySize: 1024,
    // A large backfill file is minutes of PutRecords at one shard's 1,000 records/s.
    timeout: Duration.minutes(15),
  });
  const statements = [
    new PolicyStatement({
      sid: 'ReadImports',
      actions: ['s3:GetObject'],
      resources: [lake.bucket.arnForObjects(`${IMPORT_PREFIX}*`)],
    }),
    new PolicyStatement({
      sid: 'WriteReports',
      actions: ['s3:PutObject'],
      resources: [lake.bucket.arnForObjects(`${IMPORT_REPORT_PREFIX}*`)],
    }),
    new PolicyStatement({
      sid: 'PutRecords',
      actions: ['kinesis:PutRecords'],
      resources: [stream.streamArn],
    }),
  ];
  for (const statement of statements) lambda.function.addToRolePolicy(statement);
  lake.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(lambda.function), {
    prefix: IMPORT_PREFIX,
    suffix: '.csv',
  });
  return lambda.function;
}
