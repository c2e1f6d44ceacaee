import { topicPrefixProblem } from '@coffee-iot/shared';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { IMPORT_PREFIX, IMPORT_REPORT_PREFIX } from '../../../cloud/src/lake/import/s3-csv-import.js';
import { CoffeeLambda } from './coffee-lambda.js';
import { deliveryStreamTarget, type IngestPath, type IngestTarget, streamTarget } from './ingest-target.js';
import { LAKE_TABLE_NAMES, type Lake, type LakeTableName } from './lake.js';
import { LakeDelivery } from './lake-delivery.js';
import { PipelineAlarms } from './pipeline-alarms.js';
import { TopicRules } from './topic-rules.js';

export {
  COFFEE_EVENTS_PREFIX,
  IDENTITY_ERROR_S3_KEY_TEMPLATE,
  IDENTITY_ERRORS_PREFIX,
  identityMismatchRuleSql,
} from './topic-rules.js';

/** The delivery stream that archives the stream as it arrived to raw/ on the `stream` path (one copy is enough). */
export const RAW_ARCHIVE_TABLE: LakeTableName = 'telemetry';

export interface IngestProps {
  /** The topic prefix devices publish under (`{prefix}/{thing}/{kind}`), e.g. `dt/coffee-iot`. */
  readonly topicPrefix: string;
  /** The lake the records fill: its bucket and tables, and whether its Glue job or Firehose does it. */
  readonly lake: Lake;
  /**
   * `direct` (Firehose Direct PUT, no stream) or `stream` (a Kinesis ingest stream). Default:
   * `stream` when the lake runs its Glue streaming job (it reads the stream), `direct` otherwise.
   */
  readonly path?: IngestPath;
  /** Provisioned shards of the ingest stream on the `stream` path (default 1: 1 MB/s or 1,000 records/s in). */
  readonly shardCount?: number;
  /** Where the pipeline's integrity alarms notify (forged device ids, refused readings). */
  readonly alarmTopic?: ITopic;
}

/**
 * Everything between IoT Core and the lake: the topic rules (telemetry into the lake, coffee
 * events archived, forged identities kept), the Firehose delivery streams that turn records into
 * the lake's Parquet tables (none when the lake runs its Glue streaming job), on the `stream` path
 * the Kinesis ingest stream in front of them, and the CSV import that backfills telemetry from
 * files dropped under the lake's `imports/`.
 */
export class Ingest extends Construct {
  readonly path: IngestPath;
  /** The Kinesis ingest stream: only on the `stream` path. */
  readonly stream: Stream | undefined;
  readonly telemetryRule: CfnTopicRule;
  readonly coffeeEventsRule: CfnTopicRule;
  /** Messages on a device topic whose identity is forged (deviceId, or a payload's own thing). */
  readonly identityMismatchRule: CfnTopicRule;
  /** IdentityMismatches and RefusedReadings, any in 5 minutes. */
  readonly alarms: PipelineAlarms;
  /** One delivery stream per lake table; empty when the lake's Glue streaming job fills it. */
  readonly deliveryStreams: Readonly<Partial<Record<LakeTableName, CfnDeliveryStream>>>;
  /** Where the photo Lambda puts its coffee records. */
  readonly coffeesTarget: IngestTarget;
  readonly csvImport: NodejsFunction;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const problem = topicPrefixProblem(props.topicPrefix);
    if (problem) throw new Error(`Ingest: topicPrefix "${props.topicPrefix}" ${problem}`);
    const { lake } = props;
    this.path = props.path ?? (lake.glueStreamingJob ? 'stream' : 'direct');
    if (this.path === 'direct' && lake.glueStreamingJob) {
      throw new Error(
        'Ingest: the Glue streaming job reads the Kinesis ingest stream; use the stream path with it (coffee-iot:ingestPath=stream)',
      );
    }
    if (this.path === 'direct' && props.shardCount !== undefined) {
      throw new Error('Ingest: shardCount applies to the stream path only; the direct path has no stream');
    }
    const shardCount = props.shardCount ?? 1;
    if (!Number.isInteger(shardCount) || shardCount < 1) {
      throw new Error(`Ingest: shardCount must be a whole number ≥ 1, got ${shardCount}`);
    }

    this.stream = this.path === 'stream' ? ingestStream(this, shardCount) : undefined;

    const deliveryStreams: Partial<Record<LakeTableName, CfnDeliveryStream>> = {};
    if (lake.glueStreamingJob) {
      if (!lake.streamingJob && this.stream) lake.connectIngestStream(this.stream);
    } else {
      for (const table of LAKE_TABLE_NAMES) {
        deliveryStreams[table] = new LakeDelivery(
          this,
          `${table.charAt(0).toUpperCase()}${table.slice(1)}Delivery`,
          {
            table,
            source: this.stream ? { kind: 'kinesis', stream: this.stream } : { kind: 'direct' },
            lake,
            // From the stream, both delivery streams read every record: one raw copy is enough.
            // Direct, each holds only its own table's records: both archive them.
            archiveRaw: this.stream ? table === RAW_ARCHIVE_TABLE : true,
          },
        ).deliveryStream;
      }
    }
    this.deliveryStreams = deliveryStreams;

    const targetOf = (table: LakeTableName): IngestTarget => {
      if (this.stream) return streamTarget(this.stream);
      const deliveryStream = deliveryStreams[table];
      if (!deliveryStream) throw new Error(`Ingest: no ${table} delivery stream on the direct path`);
      return deliveryStreamTarget(deliveryStream);
    };

    const rules = new TopicRules(this, 'Rules', {
      topicPrefix: props.topicPrefix,
      telemetryTarget: this.stream
        ? { kind: 'kinesis', stream: this.stream }
        : { kind: 'firehose', deliveryStream: deliveryStreams.telemetry as CfnDeliveryStream },
      lake,
    });
    this.telemetryRule = rules.telemetry;
    this.coffeeEventsRule = rules.coffeeEvents;
    this.identityMismatchRule = rules.identityMismatches;
    this.alarms = new PipelineAlarms(
      this,
      'Alarms',
      props.alarmTopic ? { alarmTopic: props.alarmTopic } : {},
    );

    this.coffeesTarget = targetOf('coffees');
    this.csvImport = csvImport(this, targetOf('telemetry'), lake);
  }
}

/**
 * Provisioned, `shardCount` shards: ~$11 a month each (0.015 $/shard-hour) for 1 MB/s or 1,000
 * records/s in and 2 MB/s out, shared by the two delivery streams. On-demand starts at ~$29 a
 * month per stream and only pays off with spiky, larger traffic. No streamName: CloudFormation
 * derives one from the stack name, so stacks coexist in an account and region; the rules and
 * functions get it by reference (INGEST_STREAM_NAME).
 */
function ingestStream(scope: Construct, shardCount: number): Stream {
  return new Stream(scope, 'Stream', {
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
}

/**
 * The CSV backfill: a `.csv` dropped under `imports/` in the lake bucket is put where the devices'
 * telemetry goes (the ingest stream or the telemetry delivery stream), and a report lands under
 * `imports/reports/`.
 */
function csvImport(scope: Construct, target: IngestTarget, lake: Lake): NodejsFunction {
  const lambda = new CoffeeLambda(scope, 'CsvImport', {
    handler: 'csv-import',
    description: `coffee-iot CSV backfill: imports/*.csv in the lake bucket → ${target.kind === 'kinesis' ? 'ingest stream' : 'telemetry delivery stream'}`,
    environment: { ...target.environment },
    memorySize: 1024,
    // A large backfill file is minutes of puts at one shard's 1,000 records/s (or Firehose's quota).
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
  ];
  for (const statement of statements) lambda.function.addToRolePolicy(statement);
  target.grantPut(lambda.function, 'PutRecords');
  lake.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(lambda.function), {
    prefix: IMPORT_PREFIX,
    suffix: '.csv',
  });
  return lambda.function;
}
