import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { Analytics } from './constructs/analytics.js';
import { CertRotation } from './constructs/cert-rotation.js';
import { Dashboard } from './constructs/dashboard.js';
import { Database } from './constructs/database.js';
import { DeviceIdentity } from './constructs/device-identity.js';
import { FleetProvisioning } from './constructs/fleet-provisioning.js';
import { Ingest } from './constructs/ingest.js';
import { Lake } from './constructs/lake.js';
import { Photos } from './constructs/photos.js';
import { acknowledgeFindings } from './nag-acknowledgements.js';
import { readStackConfig, type StackConfig } from './stack-config.js';
import { provisioningTemplateName } from './stack-names.js';
import { StarResourceChecks } from './star-resource-checks.js';

/**
 * The whole of coffee-iot in one stack. It only wires: each concern is a construct of its own
 * (constructs/), configured from context (stack-config.ts). Outputs are what an operator and
 * `coffee-iot provision` need.
 */
export class CoffeeIotStack extends Stack {
  readonly config: StackConfig;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.config = readStackConfig(this.node, this.account, this.stackName);
    const { config } = this;

    const alarms = new Topic(this, 'Alarms', { displayName: 'coffee-iot alarms', enforceSSL: true });
    if (config.alarmEmail !== '') alarms.addSubscription(new EmailSubscription(config.alarmEmail));

    const database = new Database(this, 'Database', { profile: config.profile });
    const lake = new Lake(this, 'Lake', {
      firstYear: config.firstYear,
      glueStreamingJob: config.glueStreamingJob,
      athenaScanLimitGib: config.athenaScanLimitGib,
    });
    const ingest = new Ingest(this, 'Ingest', {
      topicPrefix: config.topicPrefix,
      lake,
      path: config.ingestPath,
      alarmTopic: alarms,
      ...(config.ingestPath === 'stream' ? { shardCount: config.ingestShards } : {}),
    });
    const photos = new Photos(this, 'Photos', {
      retentionDays: config.photoRetentionDays,
      versioned: config.photoBucketVersioning,
      ingestTarget: ingest.coffeesTarget,
      database: database.lambdaAccess,
      alarmTopic: alarms,
    });
    const identity = new DeviceIdentity(this, 'DeviceIdentity', {
      topicPrefix: config.topicPrefix,
      photoBucket: photos.bucket,
    });
    // Fleet operations (docs/fleet-provisioning.md): no fixed cost, billed per device provisioned or rotated.
    const fleet = new FleetProvisioning(this, 'FleetProvisioning', {
      templateName: provisioningTemplateName(this.stackName),
      devicePolicyName: identity.policyName,
      database: database.lambdaAccess,
    });
    new CertRotation(this, 'CertRotation', {
      topicPrefix: config.topicPrefix,
      devicePolicyName: identity.policyName,
    });
    new Analytics(this, 'Analytics', {
      lakeBucket: lake.bucket,
      glueDatabaseName: lake.databaseName,
      // A table of the database: the devices snapshot table is created once the database is.
      glueDatabaseReady: lake.tables.telemetry,
      database: database.lambdaAccess,
      telemetryTable: lake.tableNames.telemetry,
      coffeesTable: lake.tableNames.coffees,
      athenaWorkGroupName: lake.workgroupName,
      photoBucketName: photos.bucket.bucketName,
      schedule: config.exportSchedule,
    });
    const dashboard = new Dashboard(this, 'Dashboard', {
      database: database.lambdaAccess,
      photoBucket: photos.bucket,
      authDomainPrefix: config.authDomainPrefix,
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    // coffee-iot provision reads these three (cloud/src/provision/stack-resources.ts).
    output('IotPolicyName', identity.policyName, 'IoT policy attached to each device certificate');
    output('RoleAliasName', identity.roleAliasName, 'IoT role alias devices use for S3 upload credentials');
    output('PhotoBucketName', photos.bucket.bucketName, 'Bucket the devices upload photos (and logs) to');
    output(
      'ProvisioningTemplateName',
      fleet.templateName,
      'Fleet provisioning template devices register with',
    );
    output('ClaimPolicyName', fleet.claimPolicyName, 'IoT policy to attach to the claim certificate');
    output('LakeBucketName', lake.bucket.bucketName, 'The lake: curated/, raw/, errors/, imports/, exports/');
    output('AthenaWorkGroup', lake.workgroupName, 'Athena work group with the saved queries');
    output('GlueDatabase', lake.databaseName, 'Glue database of the telemetry and coffees tables');
    if (ingest.stream) output('IngestStreamName', ingest.stream.streamName, 'Kinesis ingest stream');
    for (const [table, deliveryStream] of Object.entries(ingest.deliveryStreams)) {
      const name = `${table.charAt(0).toUpperCase()}${table.slice(1)}DeliveryStream`;
      output(name, deliveryStream.ref, `Firehose delivery stream of the ${table} table`);
    }
    output('DashboardUrl', dashboard.siteUrl, 'The dashboard (sign in with a Cognito user)');
    output('DashboardApiUrl', dashboard.apiUrl, 'The dashboard API (JWT from the user pool)');
    output('UserPoolId', dashboard.userPool.userPoolId, 'Cognito user pool: create dashboard users here');
    output('PhotoFailureQueueUrl', photos.failureQueue.queueUrl, 'Photo events that failed every attempt');
    output('AlarmTopicArn', alarms.topicArn, 'SNS topic every alarm notifies');

    // cdk-nag: each accepted finding is acknowledged on its own construct, and each action on
    // Resource "*" is a finding of its own, so a new wildcard anywhere fails the synth.
    Validations.of(this).addPlugins(new StarResourceChecks(this));
    acknowledgeFindings(this, config);
  }
}
