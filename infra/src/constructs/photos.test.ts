import { readPhotoHandlerConfig } from '@coffee-iot/cloud';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { asList, iamAllowStatements, type Statement, text } from '../testing/template-text.js';
import type { DatabaseMode } from './database-access.js';
import { deliveryStreamTarget, streamTarget } from './ingest-target.js';
import { type PhotoDatabaseAccess, Photos, type PhotosProps } from './photos.js';

function logicalId(template: Template, type: string, properties: Record<string, unknown> = {}): string {
  const filter = Object.keys(properties).length === 0 ? {} : { Properties: Match.objectLike(properties) };
  const ids = Object.keys(template.findResources(type, filter));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

const CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee';
const PROXY = 'coffee.proxy-abc.eu-west-1.rds.amazonaws.com';

/**
 * Stand-ins for Database.lambdaAccess in either mode (the real one is tested in database.test.ts):
 * `data-api` (the small profile) places the function nowhere; `mysql` (fleet) in a VPC.
 */
function databaseAccess(stack: Stack, mode: DatabaseMode): PhotoDatabaseAccess {
  const secret = new Secret(stack, 'DatabaseSecret');
  // As the Database construct's: read on the secret, plus whatever else connecting needs.
  const grantConnect = (grantee: IGrantable) => {
    secret.grantRead(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StubConnect',
        actions: ['rds-data:ExecuteStatement'],
        resources: [CLUSTER_ARN],
      }),
    );
  };
  const common = { secret, databaseName: 'coffee_iot', grantConnect };
  if (mode === 'data-api') {
    return {
      ...common,
      mode,
      environment: {
        DATABASE_MODE: 'data-api',
        DB_CLUSTER_ARN: CLUSTER_ARN,
        DB_SECRET_ARN: secret.secretArn,
        DB_NAME: 'coffee_iot',
      },
      placement: {},
    };
  }
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const securityGroup = new SecurityGroup(stack, 'LambdaSecurityGroup', { vpc });
  return {
    ...common,
    mode,
    environment: {
      DATABASE_MODE: 'mysql',
      DB_SECRET_ARN: secret.secretArn,
      DB_HOST: PROXY,
      DB_NAME: 'coffee_iot',
    },
    placement: {
      vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
    },
  };
}

/** A stack with the Photos construct over stand-ins for the stream, topic and database. */
function synth(app: App, overrides: Partial<PhotosProps> = {}, mode: DatabaseMode = 'data-api') {
  const stack = new Stack(app, 'PhotosTest');
  const database = databaseAccess(stack, mode);
  const photos = new Photos(stack, 'Photos', {
    retentionDays: 30,
    versioned: false,
    ingestTarget: streamTarget(new Stream(stack, 'IngestStream')),
    database,
    alarmTopic: new Topic(stack, 'Alarms'),
    ...overrides,
  });
  return { stack, photos, template: Template.fromStack(stack) };
}

/** Synthesizes without running esbuild, for the variants of the main template. */
const unbundledApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('Photos', () => {
  const { stack, photos, template } = synth(new App());
  const resources = template.toJSON().Resources;
  const bucket = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
  const fn = logicalId(template, 'AWS::Lambda::Function', {
    Handler: 'index.handler',
    Description: Match.stringLikeRegexp('photo pipeline'),
  });
  const queue = logicalId(template, 'AWS::SQS::Queue');
  const stream = logicalId(template, 'AWS::Kinesis::Stream');
  const topic = logicalId(template, 'AWS::SNS::Topic');
  const role = resources[fn].Properties.Role['Fn::GetAtt'][0] as string;
  const fnStatements = (t: Template, roleId: string) =>
    Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

  it('keeps the photo bucket private, SSE-S3 encrypted, unversioned unless asked, access-logged', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: Match.absent(),
      LoggingConfiguration: {
        DestinationBucketName: { Ref: stack.resolve(photos.accessLogsBucket.bucketName).Ref },
      },
    });
    expect(stack.resolve(photos.bucket.bucketName)).toEqual({ Ref: bucket });
  });

  it('refuses plain HTTP (aws:SecureTransport false) and TLS below 1.2', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('expires photos/ after retentionDays (privacy)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'photos/', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('expires logs/ (devices’ uploaded logs) after 30 days, and their old versions a day later when versioned', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'logs/', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
    const versioned = synth(unbundledApp(), { versioned: true, retentionDays: 7 }).template;
    versioned.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'logs/', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ]),
      },
    });
  });

  it('when versioned, expires old photo versions a day later so deletes still delete', () => {
    const versioned = synth(unbundledApp(), { versioned: true, retentionDays: 7 }).template;
    versioned.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'photos/', ExpirationInDays: 7 }),
          Match.objectLike({ Prefix: 'photos/', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
        ]),
      },
    });
  });

  it('runs the Lambda outside any VPC with the Data API: S3, Rekognition and Kinesis need no NAT', () => {
    expect(resources[fn].Properties.VpcConfig).toBeUndefined();
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it('runs the Lambda in the VPC’s private subnets with the database’s security group with mysql (fleet)', () => {
    const fleet = synth(unbundledApp(), {}, 'mysql').template;
    const fleetFn = logicalId(fleet, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('photo pipeline'),
    });
    const { VpcConfig } = fleet.toJSON().Resources[fleetFn].Properties;
    const privateSubnets = Object.keys(
      fleet.findResources('AWS::EC2::Subnet', {
        Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Private' }]) },
      }),
    );
    expect(VpcConfig.SubnetIds.map((s: { Ref: string }) => s.Ref).sort()).toEqual(privateSubnets.sort());
    expect(VpcConfig.SecurityGroupIds).toEqual([
      { 'Fn::GetAtt': [logicalId(fleet, 'AWS::EC2::SecurityGroup'), 'GroupId'] },
    ]);
    const variables = fleet.toJSON().Resources[fleetFn].Properties.Environment.Variables;
    expect(variables).toMatchObject({ DATABASE_MODE: 'mysql', DB_HOST: PROXY, DB_NAME: 'coffee_iot' });
  });

  it('sets exactly the environment readPhotoHandlerConfig requires', () => {
    const variables = resources[fn].Properties.Environment.Variables as Record<string, unknown>;
    const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, text(v)]));
    expect(env).toEqual({
      INGEST_STREAM_NAME: `{${stream}}`,
      DATABASE_MODE: 'data-api',
      DB_CLUSTER_ARN: CLUSTER_ARN,
      DB_SECRET_ARN: `{${logicalId(template, 'AWS::SecretsManager::Secret')}}`,
      DB_NAME: 'coffee_iot',
      DELETE_PHOTO_AFTER_ANALYSIS: 'false',
    });
    expect(readPhotoHandlerConfig(env)).toMatchObject({
      ingest: { kind: 'kinesis', streamName: `{${stream}}` },
      deletePhotoAfterAnalysis: false,
    });
  });

  it('invokes the Lambda for every object created under photos/', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucket },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'photos/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] },
          },
        ],
      },
    });
  });

  it('retries twice within 6 h, then sends the event to an encrypted, TLS-only queue kept 14 days', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    expect(stack.resolve(photos.failureQueue.queueArn)).toEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
  });

  it('reads photos only under photos/, and deletes none unless asked', () => {
    const read = fnStatements(template, role).find((s) => s.Sid === 'ReadPhotos');
    expect(read?.Action).toBe('s3:GetObject');
    expect(text(read?.Resource)).toBe(`{${bucket}.Arn}/photos/*`);
    expect(iamAllowStatements(template).flatMap((s) => asList(s.Action))).not.toContain('s3:DeleteObject');

    const deleting = synth(unbundledApp(), { deletePhotoAfterAnalysis: true }).template;
    const deletingFn = logicalId(deleting, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('photo pipeline'),
    });
    const deletingRole = deleting.toJSON().Resources[deletingFn].Properties.Role['Fn::GetAtt'][0];
    const photosStatement = fnStatements(deleting, deletingRole).find((s) => s.Sid === 'ReadPhotos');
    expect(photosStatement?.Action).toEqual(['s3:GetObject', 's3:DeleteObject']);
    expect(text(photosStatement?.Resource)).toMatch(/\.Arn}\/photos\/\*$/);
    expect(
      deleting.toJSON().Resources[deletingFn].Properties.Environment.Variables.DELETE_PHOTO_AFTER_ANALYSIS,
    ).toBe('true');
  });

  it('calls DetectFaces on "*" (it has no resource-level permissions) and puts records only on the stream', () => {
    const statements = fnStatements(template, role);
    expect(statements.find((s) => s.Sid === 'DetectFaces')).toMatchObject({
      Action: 'rekognition:DetectFaces',
      Resource: '*',
    });
    expect(statements.find((s) => s.Sid === 'PutCoffeeRecords')).toMatchObject({
      Action: 'kinesis:PutRecords',
      Resource: { 'Fn::GetAtt': [stream, 'Arn'] },
    });
  });

  it('puts records into the coffees delivery stream on the direct path, that stream only', () => {
    const scratch = new Stack(unbundledApp(), 'PhotosDirect');
    const coffees = new CfnDeliveryStream(scratch, 'CoffeesDelivery', { deliveryStreamType: 'DirectPut' });
    new Photos(scratch, 'Photos', {
      retentionDays: 30,
      versioned: false,
      ingestTarget: deliveryStreamTarget(coffees),
      database: databaseAccess(scratch, 'data-api'),
      alarmTopic: new Topic(scratch, 'Alarms'),
    });
    const direct = Template.fromStack(scratch);
    const directFn = logicalId(direct, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DATABASE_MODE: 'data-api' }) },
    });
    const variables = direct.toJSON().Resources[directFn].Properties.Environment.Variables;
    expect(variables.INGEST_DELIVERY_STREAM_NAME).toEqual({ Ref: 'CoffeesDelivery' });
    expect(variables.INGEST_STREAM_NAME).toBeUndefined();
    const directRole = direct.toJSON().Resources[directFn].Properties.Role['Fn::GetAtt'][0];
    const statements = fnStatements(direct, directRole);
    expect(statements.find((s) => s.Sid === 'PutCoffeeRecords')).toMatchObject({
      Action: 'firehose:PutRecordBatch',
      Resource: { 'Fn::GetAtt': ['CoffeesDelivery', 'Arn'] },
    });
    expect(JSON.stringify(statements)).not.toContain('kinesis:');
  });

  it('is granted what connecting to the database needs (the secret among it)', () => {
    const statements = fnStatements(template, role);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: logicalId(template, 'AWS::SecretsManager::Secret') },
      }),
    );
    expect(statements.map((s) => s.Sid)).toContain('StubConnect');
  });

  it('alarms the topic on queued failures, errors, throttles and lost failure deliveries — no iterator age', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.map((a) => a.MetricName).sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'DestinationDeliveryFailures',
      'Errors',
      'Throttles',
    ]);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        Period: 300,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topic }],
      });
    }
    const queued = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(queued?.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } },
    ]);
    expect(photos.alarms).toHaveLength(4);
  });

  it('grants no wildcard action, and "*" as a resource only for rekognition:DetectFaces', () => {
    const statements = iamAllowStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of asList(statement.Action)) expect(action).not.toContain('*');
      if (asList(statement.Resource).includes('*')) expect(statement.Action).toBe('rekognition:DetectFaces');
    }
  });

  it('refuses a retention shorter than a day', () => {
    expect(() => synth(unbundledApp(), { retentionDays: 0 })).toThrow(/retentionDays/);
  });
});
