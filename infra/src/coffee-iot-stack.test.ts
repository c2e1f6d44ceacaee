import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { STACK_OUTPUT_KEYS } from '../../cloud/src/provision/stack-resources.js';
import { CoffeeIotStack } from './coffee-iot-stack.js';
import { ALARMS } from './costs/usage.js';
import { StackConfigError } from './stack-config.js';
import { text } from './testing/template-text.js';

// The Lambda code is bundled once, by the main synth below; the context variants only read templates.
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function synthWithChecks(context: Record<string, unknown> = {}): { app: App; stack: CoffeeIotStack } {
  const app = new App({ context });
  const stack = new CoffeeIotStack(app, 'CoffeeIot', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

function statements(template: Template): Statement[] {
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Policy')).map((r) => r.Properties.PolicyDocument),
    ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) =>
      (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument),
    ),
  ] as { Statement: Statement[] }[];
  return documents.flatMap((d) => d.Statement);
}

/** The three functions that use the database: the photo pipeline, the dashboard API, the migrations. */
function databaseFunctions(template: Template) {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  return [/photo pipeline/, /dashboard API/, /migrates the database schema/].map((description) => {
    const matching = functions.filter((fn) => description.test(String(fn.Properties.Description)));
    expect(matching, String(description)).toHaveLength(1);
    const properties = matching[0]?.Properties;
    return { description: String(description), properties, role: properties.Role['Fn::GetAtt'][0] as string };
  });
}

/** The role's statements about the database or its secret, as sorted actions and resource text. */
function databaseStatements(template: Template, role: string) {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${role}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) =>
      ([] as string[])
        .concat(statement.Action)
        .some((action) => /^(rds|rds-data|rds-db|secretsmanager):/.test(action)),
    )
    .map((statement) => ({
      actions: ([] as string[]).concat(statement.Action).sort(),
      resource: text(statement.Resource),
    }));
}

function managedPolicies(template: Template, role: string): string {
  return JSON.stringify(template.toJSON().Resources[role].Properties.ManagedPolicyArns ?? []);
}

describe('the CoffeeIot stack', () => {
  const { app, stack } = synthWithChecks();
  // cdk-nag runs as a validation plugin: synth throws on any finding not acknowledged.
  const assembly = app.synth();
  const template = Template.fromStack(stack);

  it('passes the AWS Solutions checks with every finding acknowledged with a reason', () => {
    expect(assembly.stacks.map((s) => s.stackName)).toEqual(['CoffeeIot']);
  });

  it('gives coffee-iot provision every output it reads', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    for (const key of Object.values(STACK_OUTPUT_KEYS)) expect(outputs).toContain(key);
  });

  it('grants no wildcard action anywhere, and `*` resources only for actions AWS cannot scope', () => {
    // DetectFaces, Step Functions log delivery and X-Ray, VPC ENIs, and CDK's own log-retention
    // and bucket-deployment functions (the latter invalidates the dashboard's distribution).
    const unscopable =
      /^(rekognition:DetectFaces|cloudfront:(Get|Create)Invalidation|logs:(Put|Delete)RetentionPolicy|logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:.+|ec2:.+|iot:.+|cloudwatch:PutMetricData)$/;
    for (const statement of statements(template)) {
      const actions = ([] as string[]).concat(statement.Action);
      for (const action of actions)
        expect(action, JSON.stringify(statement)).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      if (statement.Resource === '*') {
        for (const action of actions) expect(action, JSON.stringify(statement)).toMatch(unscopable);
      }
    }
  });

  it('keeps the database private: encrypted, not publicly accessible, deletion protected', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      StorageEncrypted: true,
      DeletionProtection: true,
    });
    for (const instance of Object.values(template.findResources('AWS::RDS::DBInstance'))) {
      expect(instance.Properties.PubliclyAccessible).toBe(false);
    }
  });

  it('deploys the small profile by default: no NAT gateway, no RDS Proxy, a database that pauses, the Data API', () => {
    expect(stack.config.profile).toBe('small');
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::RDS::DBProxy', 0);
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: Match.objectLike({ MinCapacity: 0, SecondsUntilAutoPause: 300 }),
      EnableHttpEndpoint: true,
    });
  });

  it('runs the database Lambdas outside the VPC with exactly the Data API and secret rights', () => {
    const [clusterId] = Object.keys(template.findResources('AWS::RDS::DBCluster'));
    for (const fn of databaseFunctions(template)) {
      expect(fn.properties.VpcConfig, fn.description).toBeUndefined();
      expect(fn.properties.Environment.Variables.DATABASE_MODE, fn.description).toBe('data-api');
      expect(databaseStatements(template, fn.role), fn.description).toEqual([
        {
          actions: [
            'rds-data:BatchExecuteStatement',
            'rds-data:BeginTransaction',
            'rds-data:CommitTransaction',
            'rds-data:ExecuteStatement',
            'rds-data:RollbackTransaction',
          ],
          resource: `arn:{AWS::Partition}:rds:eu-west-1:123456789012:cluster:{${clusterId}}`,
        },
        { actions: ['secretsmanager:GetSecretValue'], resource: `{${clusterId}.MasterUserSecret.SecretArn}` },
      ]);
      expect(managedPolicies(template, fn.role), fn.description).not.toContain(
        'AWSLambdaVPCAccessExecutionRole',
      );
    }
    // Nothing at all runs in the VPC: it holds the database's isolated subnets only.
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
    }
    expect(
      Object.values(template.findResources('AWS::EC2::Subnet')).map(
        (subnet) =>
          (subnet.Properties.Tags as { Key: string; Value: string }[]).find(
            (t) => t.Key === 'aws-cdk:subnet-type',
          )?.Value,
      ),
    ).toEqual(['Isolated', 'Isolated']);
  });

  it('sends a photo event that failed every retry to the on-failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('binds devices to their own thing name in the IoT policy', () => {
    const [policy] = Object.values(template.findResources('AWS::IoT::Policy'));
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain(
      ['$', '{iot:Connection.Thing.ThingName}'].join(''),
    );
  });

  it('sends everything straight into Firehose by default: no Kinesis stream bills by the hour', () => {
    expect(stack.config.ingestPath).toBe('direct');
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    for (const delivery of Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))) {
      expect(delivery.Properties.DeliveryStreamType).toBe('DirectPut');
    }
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(expect.arrayContaining(['TelemetryDeliveryStream', 'CoffeesDeliveryStream']));
    expect(outputs).not.toContain('IngestStreamName');
  });

  it('deploys as many alarms as the cost model bills (docs/costs.md)', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', ALARMS);
  });

  it("alarms on forged identities and refused readings through the stack's alarm topic", () => {
    const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
    for (const metric of ['IdentityMismatches', 'RefusedReadings']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        AlarmActions: [{ Ref: topicId }],
      });
    }
  });

  it('leaves the Glue streaming job off unless asked, and on (reading the stream) when asked', () => {
    template.resourceCountIs('AWS::Glue::Job', 0);
    const withJob = synthWithChecks({ ...NO_BUNDLING, 'coffee-iot:glueStreamingJob': true });
    withJob.app.synth();
    expect(withJob.stack.config.ingestPath).toBe('stream');
    Template.fromStack(withJob.stack).resourceCountIs('AWS::Glue::Job', 1);
    Template.fromStack(withJob.stack).resourceCountIs('AWS::Kinesis::Stream', 1);
  });
});

describe('the CoffeeIot stack, fleet profile', () => {
  const { app, stack } = synthWithChecks({ ...NO_BUNDLING, 'coffee-iot:profile': 'fleet' });
  app.synth();
  const template = Template.fromStack(stack);

  it('keeps RDS Proxy (TLS) and the VPC with one NAT gateway and the S3 endpoint, the database never pausing', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      EnableHttpEndpoint: Match.absent(),
    });
  });

  it('runs the database Lambdas in the VPC with mysql2, reading the secret and nothing of the Data API', () => {
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::SecretTargetAttachment'));
    for (const fn of databaseFunctions(template)) {
      expect(fn.properties.VpcConfig, fn.description).toBeDefined();
      expect(fn.properties.Environment.Variables).toMatchObject({
        DATABASE_MODE: 'mysql',
        DB_HOST: { 'Fn::GetAtt': [expect.stringMatching(/Proxy/), 'Endpoint'] },
      });
      expect(databaseStatements(template, fn.role), fn.description).toEqual([
        {
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          resource: `{${secretId}}`,
        },
      ]);
      expect(managedPolicies(template, fn.role), fn.description).toContain('AWSLambdaVPCAccessExecutionRole');
    }
  });
});

describe('the stack configuration', () => {
  it('sizes the stream (stream path) and the Athena scan limit from context', () => {
    const { app, stack } = synthWithChecks({
      ...NO_BUNDLING,
      'coffee-iot:ingestPath': 'stream',
      'coffee-iot:ingestShards': 4,
      'coffee-iot:athenaScanLimitGib': 250,
    });
    app.synth();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 4 });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 250 * 1024 ** 3 }),
    });
  });

  it('names every bad context value at once', () => {
    const app = new App({
      context: {
        'coffee-iot:photoRetentionDays': 'forever',
        'coffee-iot:glueStreamingJob': 'maybe',
        'coffee-iot:profile': 'tiny',
      },
    });
    const error = (() => {
      try {
        new CoffeeIotStack(app, 'Bad');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StackConfigError);
    expect((error as Error).message).toContain('coffee-iot:photoRetentionDays');
    expect((error as Error).message).toContain('coffee-iot:glueStreamingJob');
    expect((error as Error).message).toContain('coffee-iot:profile must be one of small, fleet, got "tiny"');
  });

  it('refuses the Glue job on the direct path, and shards without a stream', () => {
    const problems = (context: Record<string, unknown>) => {
      try {
        new CoffeeIotStack(new App({ context }), 'Bad');
      } catch (e) {
        return (e as StackConfigError).problems;
      }
      return [];
    };
    expect(problems({ 'coffee-iot:glueStreamingJob': true, 'coffee-iot:ingestPath': 'direct' })).toEqual([
      'coffee-iot:glueStreamingJob reads the Kinesis ingest stream: it needs coffee-iot:ingestPath=stream (got direct)',
    ]);
    expect(problems({ 'coffee-iot:ingestShards': 2 })).toEqual([
      'coffee-iot:ingestShards applies to coffee-iot:ingestPath=stream only: the direct path has no stream',
    ]);
    expect(problems({ 'coffee-iot:ingestPath': 'kafka' })).toEqual([
      'coffee-iot:ingestPath must be one of direct, stream, got "kafka"',
    ]);
  });
});

describe('cdk-nag as wired here', () => {
  it('fails the synth on a finding nobody acknowledged', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless');
    new Bucket(stack, 'Open', { encryption: BucketEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });
});
