import { LOG_KEY_PREFIX, PHOTO_KEY_PREFIX } from '@coffee-iot/shared';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Bucket, BucketEncryption, EventType, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CoffeeLambda } from './coffee-lambda.js';
import type { PhotoDatabaseAccess } from './database-access.js';
import type { IngestTarget } from './ingest-target.js';
import { createAccessLogsBucket, PRIVATE_BUCKET } from './private-buckets.js';

// The database construct implements it (database-access.ts); re-exported for the stack.
export type { PhotoDatabaseAccess } from './database-access.js';

export interface PhotosProps {
  /** Days a photo stays under photos/ before S3 deletes it: photos show faces (privacy). */
  readonly retentionDays: number;
  /**
   * Keep object versions. A replaced or deleted photo's old version is then expired a day later,
   * so versioning never keeps a face past what retentionDays and deletes promise.
   */
  readonly versioned: boolean;
  /** Where the analysed coffee records go (type=coffee): the coffees delivery stream or the ingest stream. */
  readonly ingestTarget: IngestTarget;
  /** Aurora (Data API or RDS Proxy), where the coffees are recorded. */
  readonly database: PhotoDatabaseAccess;
  /** Where the pipeline's alarms notify. */
  readonly alarmTopic: ITopic;
  /** Delete each photo once it is analysed (default false: kept until retentionDays). */
  readonly deletePhotoAfterAnalysis?: boolean;
}

const PHOTOS = `${PHOTO_KEY_PREFIX}/`;
const LOGS = `${LOG_KEY_PREFIX}/`;
/** Days a device's uploaded log (the `upload-logs` job, under logs/) is kept. */
export const LOG_RETENTION_DAYS = 30;
const ALARM_PERIOD = Duration.minutes(5);

/**
 * The photo pipeline: devices PUT `photos/{thing}/…jpg` into the bucket (DeviceIdentity's role),
 * each new object invokes the photo Lambda (Rekognition DetectFaces → Aurora + the lake's coffees);
 * an event that still fails after Lambda's retries lands in an SQS queue, and an alarm says so.
 *
 * Secure defaults, written out: no public access, SSE-S3, TLS 1.2+ only, server access logs to a
 * bucket of their own, photos expire after retentionDays, the Lambda reaches the database as the
 * database's profile says (outside any VPC with the Data API, or in its VPC through RDS Proxy).
 */
export class Photos extends Construct {
  readonly bucket: Bucket;
  /** Server access logs of the photo bucket (under `photos-bucket/`), kept a year. */
  readonly accessLogsBucket: Bucket;
  readonly function: NodejsFunction;
  /** S3 events the Lambda failed on after its retries (or that grew older than 6 h), kept 14 days. */
  readonly failureQueue: Queue;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: PhotosProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(`Photos: retentionDays must be a whole number of days ≥ 1, got ${props.retentionDays}`);
    }
    const deletePhotoAfterAnalysis = props.deletePhotoAfterAnalysis ?? false;
    this.accessLogsBucket = createAccessLogsBucket(this);

    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      // SSE-S3: Rekognition reads the object with the Lambda's s3:GetObject and no key grants.
      encryption: BucketEncryption.S3_MANAGED,
      versioned: props.versioned,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'photos-bucket/',
      lifecycleRules: photoLifecycleRules(props.retentionDays, props.versioned),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.failureQueue = new Queue(this, 'FailedEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const { database } = props;
    const lambda = new CoffeeLambda(this, 'Analyzer', {
      handler: 'photo',
      description: 'coffee-iot photo pipeline: photos/ → Rekognition DetectFaces → Aurora + the lake',
      // Exactly what readPhotoHandlerConfig reads; the confidence thresholds keep their defaults.
      environment: {
        ...props.ingestTarget.environment,
        ...database.environment,
        DELETE_PHOTO_AFTER_ANALYSIS: String(deletePhotoAfterAnalysis),
      },
      timeout: Duration.minutes(1),
      functionProps: {
        // Data API (small): outside any VPC, so S3, Rekognition and Firehose need no NAT or endpoint.
        // mysql (fleet): the private subnets, through the NAT, with the proxy's security group.
        ...database.placement,
        // S3 invokes asynchronously: two retries, then the event goes to the queue, never lost.
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(this.failureQueue),
      },
    });
    this.function = lambda.function;
    this.grantPipeline(props, deletePhotoAfterAnalysis);

    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.function), {
      prefix: PHOTOS,
    });

    this.alarms = this.createAlarms(props.alarmTopic);
  }

  private grantPipeline(props: PhotosProps, deletePhotoAfterAnalysis: boolean): void {
    const fn = this.function;
    // GetObject also covers HeadObject and Rekognition reading the photo as the Lambda (S3Object).
    const photoActions = deletePhotoAfterAnalysis ? ['s3:GetObject', 's3:DeleteObject'] : ['s3:GetObject'];
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadPhotos',
        actions: photoActions,
        resources: [this.bucket.arnForObjects(`${PHOTOS}*`)],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        // DetectFaces has no resource-level permissions: IAM only accepts "*" for it.
        sid: 'DetectFaces',
        actions: ['rekognition:DetectFaces'],
        resources: ['*'],
      }),
    );
    props.ingestTarget.grantPut(fn, 'PutCoffeeRecords');
    props.database.grantConnect(fn);
  }

  /**
   * Anything that means a photo was not analysed. No iterator-age alarm: S3 invokes the function
   * asynchronously; there is no stream poller to fall behind.
   */
  private createAlarms(topic: ITopic): Alarm[] {
    const fn = this.function;
    const atLeastOne = (id: string, metric: IMetric, description: string) => {
      const alarm = new Alarm(this, id, {
        metric,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(new SnsAction(topic));
      return alarm;
    };
    return [
      atLeastOne(
        'FailedEventsAlarm',
        this.failureQueue.metricApproximateNumberOfMessagesVisible({
          period: ALARM_PERIOD,
          statistic: 'Maximum',
        }),
        'Photo events failed after retries are waiting in the on-failure queue: read them, fix, redrive',
      ),
      atLeastOne(
        'ErrorsAlarm',
        fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
        'The photo Lambda failed an invocation in the last 5 minutes (it will retry)',
      ),
      atLeastOne(
        'ThrottlesAlarm',
        fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
        'The photo Lambda was throttled in the last 5 minutes',
      ),
      atLeastOne(
        'DestinationFailuresAlarm',
        fn.metric('DestinationDeliveryFailures', { period: ALARM_PERIOD, statistic: 'Sum' }),
        'A failed photo event could not be sent to the on-failure queue: it is lost, check the logs',
      ),
    ];
  }
}

function photoLifecycleRules(retentionDays: number, versioned: boolean): LifecycleRule[] {
  const rules: LifecycleRule[] = [
    { id: 'expire-photos', prefix: PHOTOS, expiration: Duration.days(retentionDays) },
    // Devices' logs (`upload-logs` job) are for debugging now, not for keeping.
    { id: 'expire-logs', prefix: LOGS, expiration: Duration.days(LOG_RETENTION_DAYS) },
    { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
  ];
  if (versioned) {
    // Expiring or deleting a current version only adds a delete marker: the face stays in the
    // old version until this rule removes it.
    rules.push({
      id: 'expire-old-photo-versions',
      prefix: PHOTOS,
      noncurrentVersionExpiration: Duration.days(1),
      expiredObjectDeleteMarker: true,
    });
    rules.push({
      id: 'expire-old-log-versions',
      prefix: LOGS,
      noncurrentVersionExpiration: Duration.days(1),
    });
  }
  return rules;
}
