import { TELEMETRY_TOPIC_RULE_SQL, telemetryTopicRuleSql } from '@coffee-iot/shared';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
// Not exported from '@coffee-iot/cloud/lake': the handlers' own config readers and the partition columns.
import { PARTITION_COLUMNS } from '../../../cloud/src/lake/columns.js';
import { readFirehoseTransformConfig } from '../../../cloud/src/lake/firehose/firehose-transform-config.js';
import { readCsvImportConfig } from '../../../cloud/src/lake/import/csv-import-config.js';
import { asList, iamAllowStatements, type Statement, text } from '../testing/template-text.js';
import { Ingest } from './ingest.js';
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

describe('Ingest', () => {
  const stack = new Stack(new App(), 'IngestTest');
  const lake = new Lake(stack, 'Lake', { firstYear: 2026, glueStreamingJob: false });
  const ingest = new Ingest(stack, 'Ingest', { topicPrefix: 'dt/coffee-iot', lake });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources;
  const streamId = logicalId(template, 'AWS::Kinesis::Stream');
  const bucket = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
  const ruleErrors = stack.resolve(ingest.ruleErrors.logGroupName).Ref as string;
  const delivery = (table: string) =>
    resources[
      logicalId(template, 'AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamName: `coffee-iot-lake-${table}`,
      })
    ].Properties;
  const destination = (table: string) => delivery(table).ExtendedS3DestinationConfiguration;
  const transformId = (table: string) =>
    logicalId(template, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LAKE_TABLE: table }) },
    });

  it('keeps a 24-hour, provisioned one-shard stream encrypted with alias/aws/kinesis', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'coffee-iot-ingest',
      RetentionPeriodHours: 24,
      ShardCount: 1,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(stack.resolve(ingest.stream.streamArn)).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
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

  it('archives coffee events under events/coffee/{thing}/ in the lake bucket', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Sql: "SELECT * FROM 'dt/coffee-iot/+/coffee'",
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

  it('logs what either rule could not deliver to a log group that expires', () => {
    const rules = Object.values(template.findResources('AWS::IoT::TopicRule'));
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(rule.Properties.TopicRulePayload.ErrorAction.CloudwatchLogs.LogGroupName).toEqual({
        Ref: ruleErrors,
      });
    }
    expect(resources[ruleErrors].Properties.RetentionInDays).toBe(30);
  });

  it('lets the rules put only on the stream, the coffee events prefix and their error log group', () => {
    const role = logicalId(template, 'AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'iot.amazonaws.com' } })],
      },
    });
    const statements = roleStatements(template, role);
    expect(statements.map((s) => [s.Action, text(s.Resource)])).toEqual([
      ['kinesis:PutRecord', `{${streamId}.Arn}`],
      ['s3:PutObject', `{${bucket}.Arn}/events/coffee/*`],
      [['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], `{${ruleErrors}.Arn}`],
    ]);
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
        SchemaConfiguration: { DatabaseName: 'coffee_iot', TableName: table, VersionId: 'LATEST' },
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
      expect(config).toEqual({ table, maxReingests: 3, partitionKeys: true });
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
      expect(text(bySid('ReadTableSchema').Resource)).toContain(`:table/coffee_iot/${table}`);
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

  it('lets each transform put its overflow back on the stream, and nothing else', () => {
    for (const table of LAKE_TABLE_NAMES) {
      const role = resources[transformId(table)].Properties.Role['Fn::GetAtt'][0];
      expect(roleStatements(template, role).map((s) => [s.Action, s.Resource])).toEqual([
        ['kinesis:PutRecords', { 'Fn::GetAtt': [streamId, 'Arn'] }],
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
    expect(config.streamName).toBe(`{${streamId}}`);
    const role = resources[csvImport].Properties.Role['Fn::GetAtt'][0];
    expect(roleStatements(template, role).map((s) => [s.Action, text(s.Resource)])).toEqual([
      ['s3:GetObject', `{${bucket}.Arn}/imports/*`],
      ['s3:PutObject', `{${bucket}.Arn}/imports/reports/*`],
      ['kinesis:PutRecords', `{${streamId}.Arn}`],
    ]);
  });

  it('grants no wildcard action and no "*" resource', () => {
    const statements = iamAllowStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of asList(statement.Action)) expect(action).not.toContain('*');
      expect(asList(statement.Resource)).not.toContain('*');
    }
  });

  it('takes the thing name from the topic level after a longer prefix, and refuses a bad one', () => {
    const scratch = new Stack(unbundledApp(), 'Prefix');
    const scratchLake = new Lake(scratch, 'Lake', { firstYear: 2026, glueStreamingJob: false });
    new Ingest(scratch, 'Ingest', { topicPrefix: 'dt/acme/coffee-iot', lake: scratchLake, shardCount: 2 });
    const prefixed = Template.fromStack(scratch);
    prefixed.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Actions: [{ Kinesis: Match.objectLike({ PartitionKey: `\${topic(4)}` }) }],
      }),
    });
    prefixed.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 2 });
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
      const streamArn = glueStack.resolve(glueIngest.stream.streamArn);
      glueTemplate.hasResourceProperties('AWS::Glue::Job', {
        DefaultArguments: Match.objectLike({ '--STREAM_ARN': streamArn }),
      });
    });
  });
});
