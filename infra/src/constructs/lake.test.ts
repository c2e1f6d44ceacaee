import { readFileSync } from 'node:fs';
import { glueTableInput, NAMED_QUERIES } from '@coffee-iot/cloud/lake';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import { asList, iamAllowStatements, text } from '../testing/template-text.js';
import { REPO_ROOT } from './coffee-lambda.js';
import { DEFAULT_ATHENA_SCAN_LIMIT_GIB, LAKE_TABLE_NAMES, Lake } from './lake.js';

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

  it('catalogs telemetry and coffees in coffee_iot exactly as glueTableInput describes them', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'coffee_iot' } });
    expect(lake.databaseName).toBe('coffee_iot');
    expect(lake.tableNames).toEqual({ telemetry: 'telemetry', coffees: 'coffees' });
    for (const table of LAKE_TABLE_NAMES) {
      const expected = glueTableInput(table, { bucket: 'lake-bucket', firstYear: 2026 });
      const id = logicalId(template, 'AWS::Glue::Table', { TableInput: Match.objectLike({ Name: table }) });
      const { DatabaseName, TableInput } = template.toJSON().Resources[id].Properties;
      expect(DatabaseName).toBe('coffee_iot');
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

  it('projects the ingest_* partitions from firstYear, with no crawler', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.ingest_year.range': '2026,2046',
          'projection.ingest_year.digits': '4',
          'projection.ingest_hour.range': '0,23',
        }),
      }),
    });
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('runs queries in the coffee-iot workgroup: enforced, results SSE-S3 under athena-results/, 10 GiB cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'coffee-iot',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: DEFAULT_ATHENA_SCAN_LIMIT_GIB * 1024 ** 3,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/athena-results/']] },
        },
      },
    });
    expect(lake.workgroupName).toBe('coffee-iot');
  });

  it('saves every named query in the workgroup, on coffee_iot', () => {
    const workgroup = logicalId(template, 'AWS::Athena::WorkGroup');
    template.resourceCountIs('AWS::Athena::NamedQuery', NAMED_QUERIES.length);
    for (const query of NAMED_QUERIES) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: query.name,
        Description: query.description,
        QueryString: query.sql,
        Database: 'coffee_iot',
        WorkGroup: { Ref: workgroup },
      });
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
