import { readFileSync } from 'node:fs';
import {
  decodePrestoView,
  glueTableInput,
  glueViewInput,
  NAMED_QUERIES,
  PROJECTED_YEARS,
} from '@coffee-iot/cloud/lake';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import { asList, iamAllowStatements, text } from '../testing/template-text.js';
import { REPO_ROOT } from './coffee-lambda.js';
import { DEFAULT_ATHENA_SCAN_LIMIT_GIB, LAKE_TABLE_NAMES, Lake, lakeNames } from './lake.js';

function expectNoWildcards(template: Template): void {
  const statements = iamAllowStatements(template);
  expect(statements.length).toBeGreaterThan(0);
  for (const statement of statements) {
    for (const action of asList(statement.Action)) expect(action).not.toContain('*');
    expect(asList(statement.Resource)).not.toContain('*');
  }
}

function logicalId(template: Template, type: string, properties: Record<string, unknown> = {}): string {
  const filter = Object.keys(properties).length === 0 ? {} : { Properties: Match.objectLike(properties) };
  const ids = Object.keys(template.findResources(type, filter));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('Lake', () => {
  const stack = new Stack(new App(), 'LakeTest');
  const lake = new Lake(stack, 'Lake', { firstYear: 2026, glueStreamingJob: false });
  const template = Template.fromStack(stack);
  const bucket = logicalId(template, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
  const accessLogs = logicalId(template, 'AWS::S3::Bucket', {
    LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-access-logs' })] },
  });

  it('keeps the lake bucket private, SSE-S3 encrypted and unversioned', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: Match.absent(),
        LoggingConfiguration: Match.anyValue(),
      },
      DeletionPolicy: 'Retain',
    });
    expect(stack.resolve(lake.bucket.bucketName)).toEqual({ Ref: bucket });
  });

  it('refuses plain HTTP and TLS below 1.2 on both buckets', () => {
    for (const id of [bucket, accessLogs]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    }
  });

  it('moves raw/ to Glacier Instant Retrieval after 90 days and expires errors/ (90) and Athena results (30)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'raw/',
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
          }),
          Match.objectLike({ Prefix: 'errors/', Status: 'Enabled', ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: 'athena-results/', Status: 'Enabled', ExpirationInDays: 30 }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        ]),
      },
    });
  });

  it('logs server access to a separate private, SSE-S3 bucket, through a bucket policy scoped to the lake', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: 'lake/' },
    });
    const logs = template.toJSON().Resources[accessLogs].Properties;
    expect(logs.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    expect(logs.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(logs.AccessControl).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogs },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket, 'Arn'] } } }),
          }),
        ]),
      },
    });
  });

  it('names its database and work group after the stack, so two stacks live side by side', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'lake_test' } });
    expect(lake.databaseName).toBe('lake_test');
    expect(lake.workgroupName).toBe('lake-test');
    expect(lakeNames('CoffeeIot')).toEqual({
      database: 'coffee_iot',
      workGroup: 'coffee-iot',
      streamingJob: 'coffee-iot-ingest-stream',
    });
    const staging = lakeNames('CoffeeIotStaging');
    expect(staging.database).toBe('coffee_iot_staging');
    for (const key of ['database', 'workGroup', 'streamingJob'] as const) {
      expect(staging[key]).not.toBe(lakeNames('CoffeeIot')[key]);
    }
    expect(lakeNames('coffee-iot-2').database).toBe('coffee_iot_2');
  });

  it('catalogs the raw telemetry_all and coffees_all exactly as glueTableInput describes them', () => {
    expect(lake.tableNames).toEqual({ telemetry: 'telemetry_all', coffees: 'coffees_all' });
    for (const table of LAKE_TABLE_NAMES) {
      const expected = glueTableInput(table, { bucket: 'lake-bucket', firstYear: 2026 });
      expect(expected.name).toBe(`${table}_all`);
      const id = logicalId(template, 'AWS::Glue::Table', {
        TableInput: Match.objectLike({ Name: expected.name }),
      });
      expect(stack.resolve(lake.tables[table].ref)).toEqual({ Ref: id });
      const { DatabaseName, TableInput } = template.toJSON().Resources[id].Properties;
      expect(DatabaseName).toBe('lake_test');
      expect(TableInput.TableType).toBe('EXTERNAL_TABLE');
      expect(TableInput.Description).toBe(expected.description);
      const onLake = (value: unknown) => text(value).replace(`{${bucket}}`, 'lake-bucket');
      expect(onLake(TableInput.StorageDescriptor.Location)).toBe(expected.storageDescriptor.location);
      expect(TableInput.StorageDescriptor.Columns).toEqual(
        expected.storageDescriptor.columns.map((c) => ({ Name: c.name, Type: c.type })),
      );
      expect(TableInput.PartitionKeys).toEqual(
        expected.partitionKeys.map((c) => ({ Name: c.name, Type: c.type })),
      );
      const parameters = Object.fromEntries(
        Object.entries(TableInput.Parameters as Record<string, unknown>).map(([k, v]) => [k, onLake(v)]),
      );
      expect(parameters).toEqual(expected.parameters);
    }
  });

  it('creates the views telemetry and coffees over the raw tables, as Athena stores a view', () => {
    expect(lake.viewNames).toEqual({ telemetry: 'telemetry', coffees: 'coffees' });
    for (const table of LAKE_TABLE_NAMES) {
      const id = logicalId(template, 'AWS::Glue::Table', { TableInput: Match.objectLike({ Name: table }) });
      expect(stack.resolve(lake.views[table].ref)).toEqual({ Ref: id });
      const resource = template.toJSON().Resources[id];
      const input = resource.Properties.TableInput;
      expect(resource.Properties.DatabaseName).toBe('lake_test');
      expect(resource.DependsOn).toContain(stack.resolve(lake.tables[table].ref).Ref);
      expect(input.TableType).toBe('VIRTUAL_VIEW');
      expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
      expect(input.ViewExpandedText).toBe('/* Presto View */');
      expect(input.ViewOriginalText).toBe(glueViewInput(table, { database: 'lake_test' }).viewOriginalText);
      const definition = decodePrestoView(input.ViewOriginalText);
      expect(definition.catalog).toBe('awsdatacatalog');
      expect(definition.schema).toBe('lake_test');
      expect(definition.originalSql).toContain(`FROM "${table}_all"`);
      // Names and order of the view's columns are the raw table's, partition columns last.
      const raw = glueTableInput(table, { bucket: 'lake-bucket', firstYear: 2026 });
      const expected = [...raw.storageDescriptor.columns, ...raw.partitionKeys].map((c) => c.name);
      expect(definition.columns.map((c) => c.name)).toEqual(expected);
      expect(input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(expected);
    }
  });

  it('projects the ingest_* partitions from firstYear, with no crawler', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.ingest_year.range': `2026,${2026 + PROJECTED_YEARS - 1}`,
          'projection.ingest_year.digits': '4',
          'projection.ingest_hour.range': '0,23',
        }),
      }),
    });
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('runs queries in its work group: enforced, results SSE-S3 under athena-results/, 100 GiB cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'lake-test',
      Description: Match.stringLikeRegexp(`\\b${DEFAULT_ATHENA_SCAN_LIMIT_GIB} GiB per query`),
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: DEFAULT_ATHENA_SCAN_LIMIT_GIB * 1024 ** 3,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/athena-results/']] },
        },
      },
    });
  });

  it('lets cdk destroy delete the work group after queries ran, and states the limit it was given', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: true });
    const scratch = new Stack(new App(), 'Limited');
    new Lake(scratch, 'Lake', { firstYear: 2026, glueStreamingJob: false, athenaScanLimitGib: 7 });
    Template.fromStack(scratch).hasResourceProperties('AWS::Athena::WorkGroup', {
      Description: Match.stringLikeRegexp('\\b7 GiB per query at most'),
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 7 * 1024 ** 3 }),
    });
  });

  it('saves every named query in the work group, on the lake database, after the views', () => {
    const workgroup = logicalId(template, 'AWS::Athena::WorkGroup');
    template.resourceCountIs('AWS::Athena::NamedQuery', NAMED_QUERIES.length);
    for (const query of NAMED_QUERIES) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: query.name,
        Description: query.description,
        QueryString: query.sql,
        Database: 'lake_test',
        WorkGroup: { Ref: workgroup },
      });
    }
    for (const query of Object.values(template.findResources('AWS::Athena::NamedQuery'))) {
      for (const table of LAKE_TABLE_NAMES) {
        expect(query.DependsOn).toContain(stack.resolve(lake.views[table].ref).Ref);
      }
    }
  });

  it('has named queries that read the views, never the raw tables', () => {
    for (const query of NAMED_QUERIES) {
      expect(query.sql).not.toMatch(/_all\b/);
      expect(query.sql).toMatch(/\bFROM (telemetry|coffees)\b/);
    }
  });

  it('has no Glue streaming job by default', () => {
    template.resourceCountIs('AWS::Glue::Job', 0);
    template.resourceCountIs('AWS::Glue::SecurityConfiguration', 0);
    expect(lake.streamingJob).toBeUndefined();
  });

  it('creates no IAM role or policy without the job', () => {
    expect(iamAllowStatements(template)).toEqual([]);
    template.resourceCountIs('AWS::IAM::Role', 0);
  });

  it('refuses a firstYear that is not a year', () => {
    const scratch = new Stack(new App(), 'Bad');
    expect(() => new Lake(scratch, 'Lake', { firstYear: 26, glueStreamingJob: false })).toThrow(/firstYear/);
  });

  it('fails synthesis when the Glue job is on and no stream was ever connected', () => {
    const scratch = new Stack(new App(), 'Unconnected');
    new Lake(scratch, 'Lake', { firstYear: 2026, glueStreamingJob: true });
    expect(() => Template.fromStack(scratch)).toThrow(/no ingest stream was given/);
  });

  describe('with glueStreamingJob', () => {
    const jobStack = new Stack(new App(), 'LakeJobTest');
    const stream = new Stream(jobStack, 'Ingest');
    const jobLake = new Lake(jobStack, 'Lake', {
      firstYear: 2026,
      glueStreamingJob: true,
      ingestStream: stream,
    });
    const jobTemplate = Template.fromStack(jobStack);
    const jobBucket = logicalId(jobTemplate, 'AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
    const streamId = logicalId(jobTemplate, 'AWS::Kinesis::Stream');
    const job = () => Object.values(jobTemplate.findResources('AWS::Glue::Job'))[0]?.Properties;

    it('runs cloud/glue/ingest_stream_job.py as a Glue 4.0 streaming job on 2 G.1X workers', () => {
      jobTemplate.resourceCountIs('AWS::Glue::Job', 1);
      expect(job()).toMatchObject({
        Command: { Name: 'gluestreaming', PythonVersion: '3' },
        GlueVersion: '4.0',
        WorkerType: 'G.1X',
        NumberOfWorkers: 2,
      });
      expect(JSON.stringify(job().Command.ScriptLocation)).toContain('.py');
      expect(jobLake.streamingJob).toBeDefined();
      // Named after the stack, like its security configuration: two stacks, two jobs.
      expect(job().Name).toBe('lake-job-test-ingest-stream');
      expect(jobLake.streamingJobName).toBe('lake-job-test-ingest-stream');
      jobTemplate.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
        Name: 'lake-job-test-ingest-stream',
      });
    });

    it('passes every argument the script reads (Glue adds JOB_NAME)', () => {
      const script = readFileSync(`${REPO_ROOT}cloud/glue/ingest_stream_job.py`, 'utf8');
      const options = /getResolvedOptions\(sys\.argv, \[([^\]]*)\]\)/.exec(script)?.[1];
      const names = [...(options ?? '').matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
      expect(names).toContain('STREAM_ARN');
      const args = job().DefaultArguments;
      for (const name of names.filter((n) => n !== 'JOB_NAME')) expect(args).toHaveProperty(`--${name}`);
      expect(args['--STREAM_ARN']).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
      expect(text(args['--LAKE_ROOT'])).toBe(`s3://{${jobBucket}}/`);
      expect(text(args['--CHECKPOINT_LOCATION'])).toBe(`s3://{${jobBucket}}/checkpoints/ingest-stream/`);
    });

    it('encrypts its logs and bookmarks with a rotated key of its own', () => {
      const key = logicalId(jobTemplate, 'AWS::KMS::Key', { EnableKeyRotation: true });
      const configuration = logicalId(jobTemplate, 'AWS::Glue::SecurityConfiguration');
      jobTemplate.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
        EncryptionConfiguration: {
          CloudWatchEncryption: {
            CloudWatchEncryptionMode: 'SSE-KMS',
            KmsKeyArn: { 'Fn::GetAtt': [key, 'Arn'] },
          },
          JobBookmarksEncryption: {
            JobBookmarksEncryptionMode: 'CSE-KMS',
            KmsKeyArn: { 'Fn::GetAtt': [key, 'Arn'] },
          },
          S3Encryptions: [{ S3EncryptionMode: 'SSE-S3' }],
        },
      });
      expect(job().SecurityConfiguration).toEqual({ Ref: configuration });
    });

    it('lets the job read only the stream and write only curated/, errors/ and checkpoints/', () => {
      const statements = iamAllowStatements(jobTemplate);
      const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
      expect(bySid('ReadIngestStream')?.Resource).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
      expect(asList(bySid('ReadIngestStream')?.Action)).not.toContain('kinesis:PutRecord');
      expect(asList(bySid('WriteLake')?.Resource).map(text)).toEqual([
        `{${jobBucket}.Arn}/curated/*`,
        `{${jobBucket}.Arn}/errors/*`,
        `{${jobBucket}.Arn}/checkpoints/*`,
      ]);
      const writers = statements.filter((s) => asList(s.Action).includes('s3:PutObject'));
      expect(writers.map((s) => s.Sid)).toEqual(['WriteLake']);
      jobTemplate.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'glue.amazonaws.com' } })],
        },
      });
    });

    it('grants no wildcard action and no "*" resource', () => {
      expectNoWildcards(jobTemplate);
    });
  });
});
