import { LATEST_MIGRATION } from '@coffee-iot/cloud';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { iamAllowStatements, text } from '../testing/template-text.js';
import { DATA_API_ACTIONS, Database, DatabasePropsError } from './database.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

/** Construct without bundling the migration Lambda: for the cheap checks of other props. */
function synthWithoutBundling(build: (stack: Stack) => void): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Unbundled');
  build(stack);
  return Template.fromStack(stack);
}

describe('Database, fleet profile (RDS Proxy in the VPC)', () => {
  const app = new App();
  const stack = new Stack(app, 'DatabaseTest');
  const database = new Database(stack, 'Database', { profile: 'fleet' });
  if (database.proxy === undefined || database.lambdaSecurityGroup === undefined) {
    throw new Error('the fleet profile has a proxy and a Lambda security group');
  }
  const proxy = database.proxy;
  const reader = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  database.lambdaAccess.grantConnect(reader);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  const groupId = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
  const clusterGroup = idOf(database.cluster.connections.securityGroups[0] as never);
  const proxyGroup = idOf(proxy.connections.securityGroups[0] as never);
  const lambdaGroup = idOf(database.lambdaSecurityGroup);

  it('spans two AZs: public subnets for the NAT only, private ones for Lambdas, isolated ones for the data', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
    });
  });

  it('logs every flow to CloudWatch Logs, kept a month', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    const flowLog = Object.values(template.findResources('AWS::EC2::FlowLog'))[0];
    const group = (flowLog?.Properties.LogGroupName as { Ref: string } | undefined)?.Ref ?? '';
    expect(resources[group]?.Properties.RetentionInDays).toBe(30);
  });

  it('is Aurora Serverless v2 MySQL 3, encrypted, IAM auth on, backed up a week, protected from deletion', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-mysql',
      EngineVersion: Match.stringLikeRegexp('^8\\.0\\.mysql_aurora\\.3\\.'),
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
      DatabaseName: 'coffee_iot',
      MasterUsername: 'coffee_admin',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      EnableCloudwatchLogsExports: ['error', 'slowquery'],
    });
    template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.serverless',
      PubliclyAccessible: false,
    });
    template.hasResourceProperties('Custom::LogRetention', {
      LogGroupName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/error'])] }),
      RetentionInDays: 30,
    });
  });

  it('keeps the database in the isolated subnets', () => {
    const subnetGroup = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0];
    const subnets = ((subnetGroup?.Properties.SubnetIds ?? []) as { Ref: string }[]).map(({ Ref }) => Ref);
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) {
      expect(subnet).toMatch(/data/);
      const routes = Object.values(template.findResources('AWS::EC2::Route')).filter((route) =>
        JSON.stringify(route).includes(subnet.replace(/Subnet[0-9A-F]{8}$/, '')),
      );
      expect(routes).toEqual([]);
    }
  });

  it('rotates the secret every 30 days from the private subnets', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({
        vpcSubnetIds: {
          'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('appSubnet1') }, ',', Match.anyValue()]],
        },
      }),
    });
  });

  it('puts an RDS Proxy in front that requires TLS and signs in with the secret', () => {
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'MYSQL',
      RequireTLS: true,
      Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'DISABLED' })],
      VpcSecurityGroupIds: [groupId(proxyGroup)],
      DBProxyName: Match.stringLikeRegexp('^DatabaseTest-Database-.*-proxy$'),
    });
  });

  it('lets MySQL in only from the proxy (and rotation), and into the proxy only from the Lambdas', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (rule) => rule.Properties,
    );
    expect(ingress.every((rule) => rule.CidrIp === undefined && rule.CidrIpv6 === undefined)).toBe(true);
    const sources = (target: string) =>
      ingress
        .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(groupId(target)))
        .map((rule) => (rule.SourceSecurityGroupId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
    expect(new Set(sources(clusterGroup))).toEqual(
      new Set([proxyGroup, expect.stringMatching(/RotationSingleUserSecurityGroup/)]),
    );
    expect(sources(proxyGroup)).toEqual([lambdaGroup]);
    expect(sources(lambdaGroup)).toEqual([]);
    // Security groups declared inline carry no ingress either.
    for (const group of Object.values(template.findResources('AWS::EC2::SecurityGroup'))) {
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    }
  });

  it('lets the Lambdas out on HTTPS and to the proxy on 3306 only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Lambdas'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: groupId(lambdaGroup),
      DestinationSecurityGroupId: groupId(proxyGroup),
      FromPort: 3306,
      ToPort: 3306,
    });
  });

  it('migrates the schema on deploy from a Lambda in the VPC, again whenever a migration is added', () => {
    const [schema] = Object.entries(template.findResources('Custom::CoffeeIotSchema'));
    expect(schema?.[1].Properties.LatestMigration).toBe(LATEST_MIGRATION);
    expect(schema?.[1].DependsOn).toEqual(
      expect.arrayContaining([idOf(proxy), idOf(database.cluster), expect.stringMatching(/Writer/)]),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('migrates the database schema'),
      VpcConfig: {
        SecurityGroupIds: [groupId(lambdaGroup)],
        SubnetIds: [
          { Ref: Match.stringLikeRegexp('appSubnet1') },
          { Ref: Match.stringLikeRegexp('appSubnet2') },
        ],
      },
      Environment: {
        Variables: Match.objectLike({
          DB_SECRET_ARN: { Ref: Match.stringLikeRegexp('SecretAttachment') },
          DB_HOST: { 'Fn::GetAtt': [idOf(proxy), 'Endpoint'] },
          DB_NAME: 'coffee_iot',
          DATABASE_MODE: 'mysql',
        }),
      },
    });
  });

  it('grants a database user read access to the secret and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(reader.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('SecretAttachment') },
          },
        ],
      },
    });
    // Identity, not deep equality: constructs hold the whole tree.
    const access = database.lambdaAccess;
    expect(access.mode).toBe('mysql');
    expect(access.placement.vpc).toBe(database.vpc);
    expect(access.placement.securityGroups).toEqual([database.lambdaSecurityGroup]);
    expect(access.secret).toBe(database.secret);
    expect(access.environment).toEqual({
      DATABASE_MODE: 'mysql',
      DB_SECRET_ARN: database.secret.secretArn,
      DB_HOST: proxy.endpoint,
      DB_NAME: 'coffee_iot',
    });
    expect(access.databaseName).toBe('coffee_iot');
  });

  it('takes the capacity, NAT count and deletion protection it is given', () => {
    const custom = synthWithoutBundling(
      (scope) =>
        new Database(scope, 'Database', {
          profile: 'fleet',
          natGateways: 2,
          minCapacity: 0,
          maxCapacity: 8,
          deletionProtection: false,
        }),
    );
    custom.resourceCountIs('AWS::EC2::NatGateway', 2);
    custom.hasResourceProperties('AWS::RDS::DBCluster', {
      DeletionProtection: false,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8 },
    });
  });

  it('names every bad prop at once', () => {
    const scope = new Stack(new App(), 'Invalid');
    expect(
      () =>
        new Database(scope, 'Database', {
          profile: 'fleet',
          natGateways: 0,
          minCapacity: 0.3,
          maxCapacity: 300,
          autoPauseSeconds: 60,
        }),
    ).toThrow(
      new DatabasePropsError([
        'natGateways must be 1 or 2 (one per AZ at most), got 0',
        'minCapacity must be 0 to 256 ACUs in steps of 0.5, got 0.3',
        'maxCapacity must be 1 to 256 ACUs in steps of 0.5, got 300',
        'autoPauseSeconds must be a whole number from 300 to 86400, got 60',
      ]),
    );
    expect(() => new Database(scope, 'Small', { natGateways: 1 })).toThrow(
      new DatabasePropsError(['natGateways is for the fleet profile only (the small one has no NAT), got 1']),
    );
  });
});

describe('Database, small profile (the default: Data API, pauses when idle)', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'SmallDatabase');
  const database = new Database(stack, 'Database');
  const user = new Role(stack, 'User', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  database.lambdaAccess.grantConnect(user);
  const template = Template.fromStack(stack);
  const clusterId = stack.getLogicalId(database.cluster.node.defaultChild as never);
  const migration = Object.values(template.findResources('AWS::Lambda::Function')).find((fn) =>
    String(fn.Properties.Description).includes('migrates the database schema'),
  );

  it('is the default, with no RDS Proxy, no NAT gateway, no endpoint and no way out of the VPC', () => {
    expect(database.profile).toBe('small');
    expect(database.proxy).toBeUndefined();
    template.resourceCountIs('AWS::RDS::DBProxy', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
    // Only the database's isolated subnets, in two AZs (Aurora's subnet group needs two).
    template.resourceCountIs('AWS::EC2::Subnet', 2);
  });

  it('pauses at 0 ACU after 5 idle minutes, with the Data API on, on Aurora MySQL 3.08 or later', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      EngineVersion: Match.stringLikeRegexp('^8\\.0\\.mysql_aurora\\.3\\.(0[89]|[1-9][0-9])\\.'),
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 300 },
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      DeletionProtection: true,
    });
  });

  it('lets RDS manage and rotate the admin password: no secret, attachment or rotation Lambda of ours', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      ManageMasterUserPassword: true,
      MasterUsername: 'coffee_admin',
      MasterUserPassword: Match.absent(),
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    template.resourceCountIs('AWS::Serverless::Application', 0);
    expect(text(stack.resolve(database.secret.secretArn))).toBe(`{${clusterId}.MasterUserSecret.SecretArn}`);
  });

  it('admits nothing into the cluster over the network', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    for (const group of Object.values(template.findResources('AWS::EC2::SecurityGroup'))) {
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    }
  });

  it('still logs every flow of the VPC the cluster lives in', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
  });

  it('migrates from a Lambda outside any VPC, over the Data API', () => {
    expect(migration?.Properties.VpcConfig).toBeUndefined();
    const variables = migration?.Properties.Environment.Variables as Record<string, unknown>;
    expect(variables.DATABASE_MODE).toBe('data-api');
    expect(text(variables.DB_CLUSTER_ARN)).toContain(`:cluster:{${clusterId}}`);
    expect(text(variables.DB_SECRET_ARN)).toBe(`{${clusterId}.MasterUserSecret.SecretArn}`);
    expect(variables.DB_NAME).toBe('coffee_iot');
    expect(variables.DB_HOST).toBeUndefined();
  });

  it('grants a database user the five Data API actions on the cluster and GetSecretValue on its secret, nothing more', () => {
    const userId = stack.getLogicalId(user.node.defaultChild as never);
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(userId),
    );
    const granted = (policy?.Properties.PolicyDocument.Statement ?? []) as {
      Action: string | string[];
      Resource: unknown;
    }[];
    expect(
      granted.map((s) => ({ actions: ([] as string[]).concat(s.Action).sort(), resource: text(s.Resource) })),
    ).toEqual([
      {
        actions: [...DATA_API_ACTIONS].sort(),
        resource: expect.stringMatching(
          new RegExp(
            `^arn:\\{AWS::Partition\\}:rds:\\{AWS::Region\\}:\\{AWS::AccountId\\}:cluster:\\{${clusterId}\\}$`,
          ),
        ),
      },
      { actions: ['secretsmanager:GetSecretValue'], resource: `{${clusterId}.MasterUserSecret.SecretArn}` },
    ]);
    // The migration function has exactly the same rights (plus nothing of the VPC's).
    const statements = iamAllowStatements(template);
    expect(statements.some((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('ec2:')))).toBe(
      false,
    );
  });

  it('hands the Lambdas the Data API environment and no VPC placement', () => {
    const access = database.lambdaAccess;
    expect(access.mode).toBe('data-api');
    expect(access.placement).toEqual({});
    expect(Object.keys(access.environment).sort()).toEqual([
      'DATABASE_MODE',
      'DB_CLUSTER_ARN',
      'DB_NAME',
      'DB_SECRET_ARN',
    ]);
  });

  it('takes another pause delay, and none when the floor is above 0', () => {
    const longer = synthWithoutBundling(
      (scope) => new Database(scope, 'Database', { autoPauseSeconds: 3600 }),
    );
    longer.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 3600 },
    });
    const warm = synthWithoutBundling((scope) => new Database(scope, 'Database', { minCapacity: 0.5 }));
    warm.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    });
  });
});
