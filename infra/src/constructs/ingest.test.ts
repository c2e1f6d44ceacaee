import {
  IDENTITY_MISMATCH_REASON,
  RESERVED_THING_FIELD_REASON,
  TELEMETRY_TOPIC_RULE_SQL,
  telemetryTopicRuleSql,
} from '@coffee-iot/shared';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
// Not exported from '@coffee-iot/cloud/lake': the handlers' own config readers and the partition columns.
import { PARTITION_COLUMNS } from '../../../cloud/src/lake/columns.js';
import { readFirehoseTransformConfig } from '../../../cloud/src/lake/firehose/firehose-transform-config.js';
import { FIREHOSE_TRANSFORM_NODE_OPTIONS } from '../../../cloud/src/lake/firehose/node-options.js';
import { PIPELINE_METRICS } from '../../../cloud/src/lake/firehose/pipeline-metrics.js';
import { readCsvImportConfig } from '../../../cloud/src/lake/import/csv-import-config.js';
import { RULE_ERROR_S3_KEY_TEMPLATE } from '../../../cloud/src/lake/rule-errors.js';
import { fixedPhysicalNames } from '../testing/physical-names.js';
import { asList, iamAllowStatements, type Statement, text } from '../testing/template-text.js';
import { Ingest, identityMismatchRuleSql } from './ingest.js';
import { LAKE_TABLE_NAMES, Lake } from './lake.js';

/** The Allow statements of one role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function roleStatements(template: Template, role: string): Statement[] {
  const resources = template.toJSON().Resources;
  const documents: { Statement: Statement[] }[] = (resources[role].Properties.Policies ?? []).map(
    (inline: { PolicyDocument: unknown }) => inline.PolicyDocument,
  );
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role)) {
      documents.push(policy.Properties.PolicyDocument);
    }
  }
  return documents.flatMap((document) => document.Statement).filter((s) => s.Effect === 'Allow');
}

function logicalId(template: Template, type: string, properties: Record<string, unknown> = {}): string {
  const filter = Object.keys(properties).length === 0 ? {} : { Properties: Match.objectLike(properties) };
  const ids = Object.keys(template.findResources(type, filter));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** A function's environment with deploy-time values (references) as placeholder strings. */
function environmentOf(template: Template, functionId: string): Record<string, string> {
  const variables = template.toJSON().Resources[functionId].Properties.Environment.Variables;
  return Object.fromEntries(
    Object.entries(variables as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : text(v),
    ]),
  );
}

/** Synthesizes without running esbuild, for the variants of the main template. */
const unbundledApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('Ingest on the stream path', () => {
  const stack = new Stack(new App(), 'IngestTest');
  const lake = new Lake(stack, 'Lake', { firstYear: 2026, glueStreamingJob: false });
  const ingest = new Ingest(stack, 'Ingest', { topicPrefix: 'dt/coffee-iot', lake, path: 'stream' });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources;
  const streamId = logicalId(template, 'AWS::Kinesis::Stream');
  const bucket = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
  const ruleOf = (rule: { logicalId: string }) =>
    resources[stack.resolve(rule.logicalId)].Properties.TopicRulePayload;
  const delivery = (table: string) =>
    resources[
      logicalId(template, 'AWS::KinesisFirehose::DeliveryStream', {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          Prefix: Match.stringLikeRegexp(`^curated/${table}/`),
        }),
      })
    ].Properties;
  const destination = (table: string) => delivery(table).ExtendedS3DestinationConfiguration;
  const transformId = (table: string) =>
    logicalId(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LAKE_TABLE: table }) },
    });

  it('keeps a 24-hour, provisioned one-shard stream encrypted with alias/aws/kinesis', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      RetentionPeriodHours: 24,
      ShardCount: 1,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(stack.resolve(ingest.stream?.streamArn)).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
  });

  it('deletes the stream with the stack: it bills by the shard-hour and replays come from raw/', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('names nothing itself, so that two stacks deploy side by side in one account and region', () => {
    expect(fixedPhysicalNames(template, 'Ingest')).toEqual([]);
    // A second stack in the same app: no physical name of the first appears in it.
    const other = new Stack(unbundledApp(), 'IngestTestTwo');
    new Ingest(other, 'Ingest', {
      topicPrefix: 'dt/coffee-iot',
      lake: new Lake(other, 'Lake', { firstYear: 2026, glueStreamingJob: false }),
    });
    expect(fixedPhysicalNames(Template.fromStack(other), 'Ingest')).toEqual([]);
  });

  it('deletes its log groups with the stack (they expire after a month anyway)', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(5);
    for (const group of Object.values(groups)) expect(group.DeletionPolicy).toBe('Delete');
    const streams = template.findResources('AWS::Logs::LogStream');
    expect(Object.keys(streams)).toHaveLength(4);
    for (const stream of Object.values(streams)) expect(stream.DeletionPolicy).toBe('Delete');
  });

  it('passes the names the code needs down by reference: the stream to the CSV import, the stream and functions to Firehose', () => {
    const csvImport = logicalId(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ INGEST_STREAM_NAME: Match.anyValue() }) },
    });
    expect(resources[csvImport].Properties.Environment.Variables.INGEST_STREAM_NAME).toEqual({
      Ref: streamId,
    });
    for (const table of LAKE_TABLE_NAMES) {
      expect(delivery(table).KinesisStreamSourceConfiguration.KinesisStreamARN).toEqual({
        'Fn::GetAtt': [streamId, 'Arn'],
      });
    }
  });

  it('puts telemetry on the stream with the shared rule SQL, partitioned by thing name (topic level 3)', () => {
    expect(telemetryTopicRuleSql('dt/coffee-iot')).toBe(TELEMETRY_TOPIC_RULE_SQL);
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Sql: TELEMETRY_TOPIC_RULE_SQL,
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [
          {
            Kinesis: {
              StreamName: { Ref: streamId },
              PartitionKey: `\${topic(3)}`,
              RoleArn: Match.anyValue(),
            },
          },
        ],
      }),
    });
  });

  it('archives the coffee events whose deviceId is their topic thing under events/coffee/{thing}/ in the lake bucket', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        // isString() first: a missing deviceId compares as Undefined, which the identity rule catches.
        Sql: "SELECT * FROM 'dt/coffee-iot/+/coffee' WHERE isString(deviceId) AND deviceId = topic(3)",
        Actions: [
          {
            S3: {
              BucketName: { Ref: bucket },
              Key: `events/coffee/\${topic(3)}/\${timestamp()}.json`,
              RoleArn: Match.anyValue(),
            },
          },
        ],
      }),
    });
  });

  it('keeps what any rule could not deliver in the lake under errors/rule/, by arrival hour', () => {
    const rules = Object.values(template.findResources('AWS::IoT::TopicRule'));
    expect(rules).toHaveLength(3);
    expect(RULE_ERROR_S3_KEY_TEMPLATE).toMatch(
      /^errors\/rule\/ingest_year=\$\{parse_time\("yyyy", timestamp\(\), "UTC"\)\}\//,
    );
    for (const rule of rules) {
      expect(rule.Properties.TopicRulePayload.ErrorAction).toEqual({
        S3: { BucketName: { Ref: bucket }, Key: RULE_ERROR_S3_KEY_TEMPLATE, RoleArn: expect.anything() },
      });
    }
    template.resourceCountIs('AWS::Logs::LogGroup', 2 + 3); // Firehose's two, the three functions'
  });

  it('keeps and counts every message but telemetry and certificate reports whose deviceId is missing or not its topic thing, and telemetry that sets thing', () => {
    const sql = identityMismatchRuleSql('dt/coffee-iot');
    expect(sql).toBe(
      "SELECT topic() AS topic, clientid() AS clientId, encode(*, 'base64') AS base64OriginalPayload, " +
        'timestamp() AS arrivedAtMs, topic(3) AS thing, ' +
        `CASE topic(4) WHEN 'telemetry' THEN '${RESERVED_THING_FIELD_REASON}' ELSE '${IDENTITY_MISMATCH_REASON}' END AS reason ` +
        "FROM 'dt/coffee-iot/+/+' " +
        "WHERE (topic(4) <> 'telemetry' AND topic(4) <> 'certificate' AND NOT (isString(deviceId) AND deviceId = topic(3))) " +
        "OR (topic(4) = 'telemetry' AND NOT isUndefined(thing))",
    );
    // Exactly the complement of the telemetry rule's condition on telemetry: none is in neither.
    expect(ruleOf(ingest.telemetryRule).Sql).toContain('WHERE isUndefined(thing)');
    // Exactly the complement of the coffee events rule's condition: no coffee event is in neither.
    expect(ruleOf(ingest.coffeeEventsRule).Sql).toContain('WHERE isString(deviceId) AND deviceId = topic(3)');
    const rule = ruleOf(ingest.identityMismatchRule);
    expect(rule).toMatchObject({ Sql: sql, AwsIotSqlVersion: '2016-03-23', RuleDisabled: false });
    expect(rule.Actions).toEqual([
      {
        S3: {
          BucketName: { Ref: bucket },
          Key: RULE_ERROR_S3_KEY_TEMPLATE.replace('errors/rule/', 'errors/identity/'),
          RoleArn: expect.anything(),
        },
      },
      {
        CloudwatchMetric: {
          MetricNamespace: 'CoffeeIot/Pipeline',
          MetricName: 'IdentityMismatches',
          MetricValue: '1',
          MetricUnit: 'Count',
          RoleArn: expect.anything(),
        },
      },
    ]);
  });

  it('raises an alarm on any identity mismatch or refused reading in 5 minutes, from every source', () => {
    for (const metric of [PIPELINE_METRICS.identityMismatches, PIPELINE_METRICS.refusedReadings]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CoffeeIot/Pipeline',
        MetricName: metric,
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    // No dimensions: the Lambda's dimensionless copy and the rule's metric both count.
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.Dimensions).toBeUndefined();
    }
  });

  it('lets the rules put only on the stream, the coffee events and error prefixes, and metrics in their namespace', () => {
    const role = logicalId(template, 'AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
      },
    });
    const statements = roleStatements(template, role);
    expect(statements.map((s) => [s.Action, asList(s.Resource).map(text)])).toEqual([
      ['kinesis:PutRecord', [`{${streamId}.Arn}`]],
      ['s3:PutObject', [`{${bucket}.Arn}/events/coffee/*`]],
      ['s3:PutObject', [`{${bucket}.Arn}/errors/rule/*`, `{${bucket}.Arn}/errors/identity/*`]],
      ['cloudwatch:PutMetricData', ['*']],
    ]);
    expect(statements[3]?.Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'CoffeeIot/Pipeline' },
    });
  });

  it('reads the stream with one delivery stream per lake table', () => {
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', LAKE_TABLE_NAMES.length);
    expect(Object.keys(ingest.deliveryStreams).sort()).toEqual([...LAKE_TABLE_NAMES].sort());
    for (const table of LAKE_TABLE_NAMES) {
      expect(delivery(table).DeliveryStreamType).toBe('KinesisStreamAsSource');
      expect(delivery(table).KinesisStreamSourceConfiguration.KinesisStreamARN).toEqual({
        'Fn::GetAtt': [streamId, 'Arn'],
      });
    }
  });

  it('partitions curated/{table}/ by the ingest_* keys the transform emits (dynamic partitioning)', () => {
    for (const table of LAKE_TABLE_NAMES) {
      const keys = PARTITION_COLUMNS.map((column) => `${column}=!{partitionKeyFromLambda:${column}}/`).join(
        '',
      );
      expect(destination(table).Prefix).toBe(`curated/${table}/${keys}`);
      expect(destination(table).DynamicPartitioningConfiguration).toEqual({
        Enabled: true,
        RetryOptions: { DurationInSeconds: 300 },
      });
      const processor = destination(table).ProcessingConfiguration.Processors[0];
      expect(processor.Type).toBe('Lambda');
      expect(processor.Parameters).toContainEqual({
        ParameterName: 'LambdaArn',
        ParameterValue: { 'Fn::GetAtt': [transformId(table), 'Arn'] },
      });
    }
  });

  it('converts the rows to Parquet with the Glue table’s schema', () => {
    for (const table of LAKE_TABLE_NAMES) {
      expect(destination(table).DataFormatConversionConfiguration).toMatchObject({
        Enabled: true,
        InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        SchemaConfiguration: {
          DatabaseName: stack.resolve(lake.databaseName),
          TableName: stack.resolve(lake.tableNames[table]),
          VersionId: 'LATEST',
        },
      });
      expect(destination(table).CompressionFormat).toBe('UNCOMPRESSED');
    }
  });

  it('writes refused records under errors/, and archives the stream once, GZIP, under raw/', () => {
    for (const table of LAKE_TABLE_NAMES) {
      expect(destination(table).ErrorOutputPrefix).toMatch(
        new RegExp(`^errors/firehose/${table}/!\\{firehose:error-output-type\\}/ingest_year=`),
      );
    }
    expect(destination('telemetry').S3BackupMode).toBe('Enabled');
    expect(destination('telemetry').S3BackupConfiguration).toMatchObject({
      Prefix: expect.stringMatching(/^raw\/ingest_year=!\{timestamp:yyyy\}\//),
      ErrorOutputPrefix: expect.stringMatching(/^errors\//),
      CompressionFormat: 'GZIP',
      BucketARN: { 'Fn::GetAtt': [bucket, 'Arn'] },
    });
    // The coffees delivery stream reads the same records: a second raw copy would only double it.
    expect(destination('coffees').S3BackupMode).toBe('Disabled');
  });

  it('buffers 64 MB or 300 s and logs delivery errors to CloudWatch', () => {
    for (const table of LAKE_TABLE_NAMES) {
      expect(destination(table).BufferingHints).toEqual({ SizeInMBs: 64, IntervalInSeconds: 300 });
      expect(destination(table).CloudWatchLoggingOptions).toMatchObject({ Enabled: true });
      const group = destination(table).CloudWatchLoggingOptions.LogGroupName.Ref;
      expect(resources[group].Properties.RetentionInDays).toBe(30);
    }
  });

  it('configures each transform the way its handler reads the environment', () => {
    for (const table of LAKE_TABLE_NAMES) {
      const config = readFirehoseTransformConfig(environmentOf(template, transformId(table)));
      expect(config).toEqual({ table, maxReingests: 3, partitionKeys: true, lakeBucket: `{${bucket}}` });
    }
  });

  it('gives each transform the larger young generation the bench measured', () => {
    expect(FIREHOSE_TRANSFORM_NODE_OPTIONS).toBe('--max-semi-space-size=32');
    for (const table of LAKE_TABLE_NAMES) {
      expect(environmentOf(template, transformId(table)).NODE_OPTIONS).toBe(FIREHOSE_TRANSFORM_NODE_OPTIONS);
    }
  });

  it('lets Firehose read only the stream, invoke only its transform, read only its table, write only its prefixes', () => {
    for (const table of LAKE_TABLE_NAMES) {
      const role = delivery(table).KinesisStreamSourceConfiguration.RoleARN['Fn::GetAtt'][0];
      const statements = roleStatements(template, role);
      const bySid = (sid: string) => statements.find((s) => s.Sid === sid) as Statement;
      expect(bySid('ReadIngestStream').Resource).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
      expect(asList(bySid('Transform').Resource).map(text)).toEqual([
        `{${transformId(table)}.Arn}`,
        `{${transformId(table)}.Arn}:*`,
      ]);
      expect(text(bySid('ReadTableSchema').Resource)).toContain(
        `:table/${stack.resolve(lake.databaseName)}/${stack.resolve(lake.tableNames[table])}`,
      );
      const written = asList(bySid('WriteLake').Resource).map(text);
      const raw =
        table === 'telemetry' ? [`{${bucket}.Arn}/raw/*`, `{${bucket}.Arn}/errors/firehose/raw/*`] : [];
      expect(written).toEqual([
        `{${bucket}.Arn}/curated/${table}/*`,
        `{${bucket}.Arn}/errors/firehose/${table}/*`,
        ...raw,
      ]);
      const putters = statements.filter((s) => asList(s.Action).includes('s3:PutObject'));
      expect(putters.map((s) => s.Sid)).toEqual(['WriteLake']);
      expect(resources[role].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
        Service: 'firehose.amazonaws.com',
      });
    }
  });

  it("lets each transform put its overflow back on the stream and write its table's refused readings, nothing else", () => {
    for (const table of LAKE_TABLE_NAMES) {
      const role = resources[transformId(table)].Properties.Role['Fn::GetAtt'][0];
      expect(roleStatements(template, role).map((s) => [s.Action, text(s.Resource)])).toEqual([
        ['s3:PutObject', `{${bucket}.Arn}/errors/readings/${table}/*`],
        ['kinesis:PutRecords', `{${streamId}.Arn}`],
      ]);
    }
  });

  it('imports .csv files created under imports/ onto the stream, with reports under imports/reports/', () => {
    const csvImport = logicalId(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ INGEST_STREAM_NAME: Match.anyValue() }) },
    });
    expect(stack.resolve(ingest.csvImport.functionArn)).toEqual({ 'Fn::GetAtt': [csvImport, 'Arn'] });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucket },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                // In the order CDK writes them.
                FilterRules: [
                  { Name: 'suffix', Value: '.csv' },
                  { Name: 'prefix', Value: 'imports/' },
                ],
              },
            },
            LambdaFunctionArn: { 'Fn::GetAtt': [csvImport, 'Arn'] },
          },
        ],
      },
    });
    const config = readCsvImportConfig(environmentOf(template, csvImport));
    expect(config.ingest).toEqual({ kind: 'kinesis', streamName: `{${streamId}}` });
    const role = resources[csvImport].Properties.Role['Fn::GetAtt'][0];
    expect(roleStatements(template, role).map((s) => [s.Action, text(s.Resource)])).toEqual([
      ['s3:GetObject', `{${bucket}.Arn}/imports/*`],
      ['s3:PutObject', `{${bucket}.Arn}/imports/reports/*`],
      ['kinesis:PutRecords', `{${streamId}.Arn}`],
    ]);
  });

  it('grants no wildcard action, and "*" only for PutMetricData held to the pipeline namespace', () => {
    const statements = iamAllowStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of asList(statement.Action)) expect(action).not.toContain('*');
      if (!asList(statement.Resource).includes('*')) continue;
      expect(statement.Action).toBe('cloudwatch:PutMetricData');
      expect(statement.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'CoffeeIot/Pipeline' } });
    }
  });

  it('takes the thing name from the topic level after a longer prefix, and refuses a bad one', () => {
    const scratch = new Stack(unbundledApp(), 'Prefix');
    const scratchLake = new Lake(scratch, 'Lake', { firstYear: 2026, glueStreamingJob: false });
    new Ingest(scratch, 'Ingest', {
      topicPrefix: 'dt/acme/coffee-iot',
      lake: scratchLake,
      path: 'stream',
      shardCount: 2,
    });
    const prefixed = Template.fromStack(scratch);
    prefixed.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Actions: [{ Kinesis: Match.objectLike({ PartitionKey: `\${topic(4)}` }) }],
      }),
    });
    prefixed.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 2 });
    prefixed.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Sql: Match.stringLikeRegexp("FROM 'dt/acme/coffee-iot/\\+/\\+' WHERE \\(topic\\(5\\) <> 'telemetry'"),
      }),
    });
    expect(() => new Ingest(scratch, 'Bad', { topicPrefix: 'dt/#', lake: scratchLake })).toThrow(/wildcards/);
  });

  describe('when the lake runs its Glue streaming job', () => {
    const glueStack = new Stack(unbundledApp(), 'IngestGlueTest');
    const glueLake = new Lake(glueStack, 'Lake', { firstYear: 2026, glueStreamingJob: true });
    const glueIngest = new Ingest(glueStack, 'Ingest', { topicPrefix: 'dt/coffee-iot', lake: glueLake });
    const glueTemplate = Template.fromStack(glueStack);

    it('creates no delivery stream, and gives the job the ingest stream', () => {
      glueTemplate.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
      expect(glueIngest.deliveryStreams).toEqual({});
      const streamArn = glueStack.resolve(glueIngest.stream?.streamArn);
      glueTemplate.hasResourceProperties('AWS::Glue::Job', {
        DefaultArguments: Match.objectLike({ '--STREAM_ARN': streamArn }),
      });
    });
  });
});

describe('Ingest on the direct path (the default): no stream, each table its own Direct PUT delivery stream', () => {
  const stack = new Stack(unbundledApp(), 'IngestDirectTest');
  const lake = new Lake(stack, 'Lake', { firstYear: 2026, glueStreamingJob: false });
  const ingest = new Ingest(stack, 'Ingest', { topicPrefix: 'dt/coffee-iot', lake });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources;
  const bucket = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
  const deliveryId = (table: 'telemetry' | 'coffees') =>
    stack.resolve((ingest.deliveryStreams[table] as { logicalId: string }).logicalId) as string;
  const destination = (table: 'telemetry' | 'coffees') =>
    resources[deliveryId(table)].Properties.ExtendedS3DestinationConfiguration;
  const transformId = (table: string) =>
    logicalId(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LAKE_TABLE: table }) },
    });

  it('is the default without the Glue job, and deploys no Kinesis stream', () => {
    expect(ingest.path).toBe('direct');
    expect(ingest.stream).toBeUndefined();
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('kinesis:');
  });

  it('puts telemetry straight into the telemetry delivery stream, one newline-ended record per message', () => {
    const rule = resources[stack.resolve(ingest.telemetryRule.logicalId)].Properties.TopicRulePayload;
    expect(rule.Sql).toBe(TELEMETRY_TOPIC_RULE_SQL);
    expect(rule.Actions).toEqual([
      {
        Firehose: {
          DeliveryStreamName: { Ref: deliveryId('telemetry') },
          Separator: '\n',
          BatchMode: false,
          RoleArn: expect.anything(),
        },
      },
    ]);
  });

  it('lets the rules put only into the telemetry delivery stream (no partition key exists: thing is the identity)', () => {
    const role = logicalId(template, 'AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
      },
    });
    const put = roleStatements(template, role).find((s) => s.Sid === 'PutTelemetry') as Statement;
    expect([put.Action, text(put.Resource)]).toEqual([
      'firehose:PutRecord',
      `{${deliveryId('telemetry')}.Arn}`,
    ]);
  });

  it('takes Direct PUT into each delivery stream, encrypted at rest with an AWS owned key', () => {
    for (const table of LAKE_TABLE_NAMES) {
      const properties = resources[deliveryId(table)].Properties;
      expect(properties.DeliveryStreamType).toBe('DirectPut');
      expect(properties.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
      expect(properties.KinesisStreamSourceConfiguration).toBeUndefined();
    }
  });

  it("archives each table's own source records under raw/, since neither sees the other's", () => {
    for (const table of LAKE_TABLE_NAMES) {
      expect(destination(table).S3BackupMode).toBe('Enabled');
      expect(destination(table).S3BackupConfiguration).toMatchObject({
        Prefix: expect.stringMatching(/^raw\/ingest_year=!\{timestamp:yyyy\}\//),
        CompressionFormat: 'GZIP',
      });
    }
  });

  it('lets each transform put its overflow back into its own delivery stream only', () => {
    for (const table of LAKE_TABLE_NAMES) {
      const role = resources[transformId(table)].Properties.Role['Fn::GetAtt'][0];
      expect(roleStatements(template, role).map((s) => [s.Action, text(s.Resource)])).toEqual([
        ['s3:PutObject', `{${bucket}.Arn}/errors/readings/${table}/*`],
        ['firehose:PutRecordBatch', `{${deliveryId(table)}.Arn}`],
      ]);
    }
  });

  it("points the CSV import at the telemetry delivery stream and the photo Lambda's target at the coffees one", () => {
    const csvId = logicalId(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ INGEST_DELIVERY_STREAM_NAME: Match.anyValue() }) },
    });
    expect(environmentOf(template, csvId).INGEST_DELIVERY_STREAM_NAME).toBe(`{${deliveryId('telemetry')}}`);
    expect(readCsvImportConfig(environmentOf(template, csvId)).ingest).toEqual({
      kind: 'firehose',
      deliveryStream: `{${deliveryId('telemetry')}}`,
    });
    const role = resources[csvId].Properties.Role['Fn::GetAtt'][0];
    expect(roleStatements(template, role).map((s) => [s.Action, text(s.Resource)])).toContainEqual([
      'firehose:PutRecordBatch',
      `{${deliveryId('telemetry')}.Arn}`,
    ]);
    expect(ingest.coffeesTarget.kind).toBe('firehose');
    expect(stack.resolve(ingest.coffeesTarget.environment)).toEqual({
      INGEST_DELIVERY_STREAM_NAME: { Ref: deliveryId('coffees') },
    });
  });

  it('names nothing itself, so that two stacks deploy side by side', () => {
    expect(fixedPhysicalNames(template, 'Ingest')).toEqual([]);
  });

  it('refuses the Glue job (it reads the stream) and a shard count (there is no stream)', () => {
    const scratch = new Stack(unbundledApp(), 'DirectRefusals');
    const glueLake = new Lake(scratch, 'GlueLake', { firstYear: 2026, glueStreamingJob: true });
    expect(
      () => new Ingest(scratch, 'WithGlue', { topicPrefix: 'dt/coffee-iot', lake: glueLake, path: 'direct' }),
    ).toThrow(/Glue streaming job reads the Kinesis ingest stream/);
    const plainLake = new Lake(scratch, 'PlainLake', { firstYear: 2026, glueStreamingJob: false });
    expect(
      () =>
        new Ingest(scratch, 'WithShards', { topicPrefix: 'dt/coffee-iot', lake: plainLake, shardCount: 2 }),
    ).toThrow(/shardCount applies to the stream path only/);
  });
});
