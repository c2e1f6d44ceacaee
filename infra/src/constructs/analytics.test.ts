import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnDatabase } from 'aws-cdk-lib/aws-glue';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DEVICES_COLUMNS } from '../../../cloud/src/lake/export/devices-table.js';
import { Analytics, AnalyticsPropsError } from './analytics.js';
import type { PhotoDatabaseAccess } from './database-access.js';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

/** A Data API database access, as Database.lambdaAccess gives it in the small profile. */
function databaseAccess(scope: Construct): PhotoDatabaseAccess {
  const secret = new Secret(scope, 'DbSecret');
  return {
    mode: 'data-api',
    secret,
    databaseName: 'coffee',
    environment: {
      DATABASE_MODE: 'data-api',
      DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
      DB_SECRET_ARN: secret.secretArn,
      DB_NAME: 'coffee',
    },
    placement: {},
    grantConnect: (grantee) => {
      secret.grantRead(grantee);
    },
  };
}

const PROPS = {
  glueDatabaseName: 'coffee_iot_lake',
  telemetryTable: 'telemetry',
  coffeesTable: 'coffees',
  athenaWorkGroupName: 'coffee-iot',
};

describe('Analytics', () => {
  const stack = new Stack(new App(), 'AnalyticsTest', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const lake = new Bucket(stack, 'Lake');
  const photos = new Bucket(stack, 'Photos');
  const database = new CfnDatabase(stack, 'Database', {
    catalogId: '123456789012',
    databaseInput: { name: 'coffee_iot_lake' },
  });
  const analytics = new Analytics(stack, 'Analytics', {
    ...PROPS,
    glueDatabaseReady: database,
    database: databaseAccess(stack),
    lakeBucket: lake,
    photoBucketName: photos.bucketName,
  });
  const template = Template.fromStack(stack);
  const machineId = stack.getLogicalId(analytics.stateMachine.node.defaultChild as never);
  const lakeId = stack.getLogicalId(lake.node.defaultChild as never);
  const machine = template.findResources('AWS::StepFunctions::StateMachine')[machineId];
  const definition = JSON.stringify(machine?.Properties.DefinitionString);
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('DailyExportRole'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);

  it('runs the export’s Athena queries, result reads and S3 steps', () => {
    for (const task of [
      'arn:aws:states:::athena:startQueryExecution.sync',
      'arn:aws:states:::athena:getQueryResults',
      'arn:aws:states:::aws-sdk:s3:listObjectsV2',
      'arn:aws:states:::aws-sdk:s3:deleteObjects',
      'arn:aws:states:::aws-sdk:s3:copyObject',
    ]) {
      expect(definition).toContain(task);
    }
    expect(definition).toContain('\\"WorkGroup\\":\\"coffee-iot\\"');
    expect(definition).toContain('\\\\\\"coffee_iot_lake\\\\\\".\\\\\\"telemetry\\\\\\"');
    expect(definition).toContain(`\\"OutputLocation\\":\\"s3://\${LakeBucket}/athena-results/\\"`);
  });

  it('gets the real bucket names from CloudFormation, not the stand-ins it was built with', () => {
    expect(definition).not.toContain('stand-in');
    expect(machine?.Properties.DefinitionSubstitutions).toEqual({
      LakeBucket: { Ref: lakeId },
      PhotoBucket: { Ref: stack.getLogicalId(photos.node.defaultChild as never) },
      DevicesSnapshotFunction: {
        'Fn::GetAtt': [
          stack.getLogicalId(analytics.devicesSnapshot.function.node.defaultChild as never),
          'Arn',
        ],
      },
    });
  });

  it('creates the devices snapshot table the export joins, over devices/ in the lake, after the database', () => {
    const tableId = stack.getLogicalId(analytics.devicesTable);
    const table = template.findResources('AWS::Glue::Table')[tableId];
    expect(table?.Properties.TableInput).toMatchObject({
      Name: 'devices',
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [],
      StorageDescriptor: {
        Columns: DEVICES_COLUMNS.map(({ name, type }) => ({ Name: name, Type: type })),
        Location: { 'Fn::Join': ['', ['s3://', { Ref: lakeId }, '/devices/']] },
        SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
      },
    });
    expect(table?.Properties).toMatchObject({ DatabaseName: 'coffee_iot_lake', CatalogId: '123456789012' });
    expect(table?.DependsOn).toContain(stack.getLogicalId(database));
    expect(definition).toContain('LEFT JOIN \\\\\\"coffee_iot_lake\\\\\\".\\\\\\"devices\\\\\\" d');
  });

  it('writes the registry snapshot first, with a function that may put devices/snapshot.json and nothing else', () => {
    const fn = stack.getLogicalId(analytics.devicesSnapshot.function.node.defaultChild as never);
    expect(machine?.Properties.DefinitionSubstitutions.DevicesSnapshotFunction).toEqual({
      'Fn::GetAtt': [fn, 'Arn'],
    });
    expect(definition).toContain('arn:aws:states:::lambda:invoke');
    expect(definition).toContain(`\\"FunctionName\\":\\"\${DevicesSnapshotFunction}\\"`);
    expect(bySid('InvokeTheDevicesSnapshot')).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Resource: { 'Fn::GetAtt': [fn, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DATABASE_MODE: 'data-api', LAKE_BUCKET: { Ref: lakeId } }),
      },
    });
    const fnStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('DevicesSnapshot'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
    const s3 = fnStatements.filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    expect(s3).toEqual([
      expect.objectContaining({
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lakeId, 'Arn'] }, '/devices/snapshot.json']] },
      }),
    ]);
  });

  it('logs errors without execution data to a group that expires, and traces', () => {
    expect(machine?.Properties).toMatchObject({
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('starts every day at 01:30 UTC with {} (the day before)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 1 * * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: machineId }, Input: '{}' })],
    });
  });

  it('names every action it may take: no wildcards', () => {
    const actions = statements.flatMap((statement) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    );
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  it('queries only in its work group and reads only the lake’s tables from the catalog', () => {
    expect(bySid('AthenaQueriesInTheWorkGroup')?.Resource).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':athena:eu-west-1:123456789012:workgroup/coffee-iot'],
      ],
    });
    const glue = JSON.stringify(bySid('GlueCatalogOfTheLakeTables')?.Resource);
    for (const resource of [
      ':catalog',
      ':database/coffee_iot_lake',
      ':table/coffee_iot_lake/telemetry',
      ':table/coffee_iot_lake/coffees',
      ':table/coffee_iot_lake/devices',
    ]) {
      expect(glue).toContain(resource);
    }
  });

  it('writes and deletes only under exports/ and the query results prefix', () => {
    const writes = bySid('WriteExportsAndQueryResults');
    expect(writes?.Action).toEqual([
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ]);
    expect(JSON.stringify(writes?.Resource)).toMatch(/\/exports\/\*".*\/athena-results\/\*"/);
    const others = statements.filter((statement) => statement.Sid !== 'WriteExportsAndQueryResults');
    expect(JSON.stringify(others)).not.toMatch(/s3:(PutObject|DeleteObject)/);
  });

  it('names every bad prop at once', () => {
    const scope = new Stack(new App(), 'Invalid');
    expect(
      () =>
        new Analytics(scope, 'Analytics', {
          ...PROPS,
          glueDatabaseName: ' ',
          glueDatabaseReady: new Bucket(scope, 'Stand-in'),
          database: databaseAccess(scope),
          lakeBucket: new Bucket(scope, 'Lake'),
          photoBucketName: 'photos',
          schedule: 'every day',
          queryResultsPrefix: 'exports/results/',
        }),
    ).toThrow(
      new AnalyticsPropsError([
        'schedule must be an EventBridge expression, cron(…) or rate(…), got "every day"',
        'queryResultsPrefix must be a key prefix ending in "/" and outside exports/, got "exports/results/"',
        'glueDatabaseName must not be empty',
      ]),
    );
  });
});
