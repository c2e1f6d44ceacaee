import { LATEST_MIGRATION } from '@coffee-iot/cloud';
import { CustomResource, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AuroraMysqlEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
  type DatabaseProxy,
} from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CoffeeLambda } from './coffee-lambda.js';
import type { PhotoDatabaseAccess } from './database-access.js';

export interface DatabaseProps {
  /** NAT gateways for the Lambdas' egress (Rekognition, Kinesis, Secrets Manager): 1 or 2 (one per AZ). Default 1. */
  readonly natGateways?: number;
  /** Aurora Serverless v2 capacity floor in ACUs (0 pauses when idle, 0.5 steps). Default 0.5. */
  readonly minCapacity?: number;
  /** Capacity ceiling in ACUs. Default 4. */
  readonly maxCapacity?: number;
  /** Refuse to delete the cluster (CloudFormation and console alike). Default true. */
  readonly deletionProtection?: boolean;
}

/** The props do not describe a database that can be deployed; lists every problem. */
export class DatabasePropsError extends Error {
  override readonly name = 'DatabasePropsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid Database props: ${problems.join('; ')}`);
  }
}

export const DATABASE_NAME = 'coffee_iot';
export const DATABASE_ADMIN_USER = 'coffee_admin';
const MYSQL_PORT = 3306;

function checkProps(props: DatabaseProps): Required<DatabaseProps> {
  const natGateways = props.natGateways ?? 1;
  const minCapacity = props.minCapacity ?? 0.5;
  const maxCapacity = props.maxCapacity ?? 4;
  const problems: string[] = [];
  // Without NAT the private subnets have no way to Rekognition, Kinesis or Secrets Manager.
  if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > 2) {
    problems.push(`natGateways must be 1 or 2 (one per AZ at most), got ${natGateways}`);
  }
  const acu = (value: number) =>
    Number.isFinite(value) && value >= 0 && value <= 256 && (value * 2) % 1 === 0;
  if (!acu(minCapacity))
    problems.push(`minCapacity must be 0 to 256 ACUs in steps of 0.5, got ${minCapacity}`);
  if (!acu(maxCapacity) || maxCapacity < 1) {
    problems.push(`maxCapacity must be 1 to 256 ACUs in steps of 0.5, got ${maxCapacity}`);
  }
  if (problems.length === 0 && minCapacity > maxCapacity) {
    problems.push(`minCapacity (${minCapacity}) is above maxCapacity (${maxCapacity})`);
  }
  if (problems.length > 0) throw new DatabasePropsError(problems);
  return { natGateways, minCapacity, maxCapacity, deletionProtection: props.deletionProtection ?? true };
}

/**
 * The coffee database and the network it lives in:
 *
 * - A VPC over 2 AZs: public subnets hold only the NAT gateway(s); Lambdas, the RDS Proxy and the
 *   rotation function run in private subnets with egress; the database sits in isolated subnets.
 *   Flow logs go to CloudWatch Logs; S3 is reached through a (free) gateway endpoint.
 * - Aurora Serverless v2 (MySQL 3), encrypted, IAM auth on, backups kept 7 days, error and slow
 *   query logs exported, admin credentials in a Secrets Manager secret rotated every 30 days.
 * - An RDS Proxy in front (TLS required), which the Lambdas reach with the secret's user and
 *   password; security groups chain Lambdas → proxy → database on 3306 and nothing else.
 * - The schema, migrated on every deploy that brings a new migration (a custom resource).
 */
export class Database extends Construct {
  readonly vpc: Vpc;
  readonly cluster: DatabaseCluster;
  readonly proxy: DatabaseProxy;
  /** The cluster's admin secret (username, password, host, port, dbname). */
  readonly secret: ISecret;
  readonly databaseName = DATABASE_NAME;
  /** For every Lambda that uses the database; the proxy admits it on 3306. */
  readonly lambdaSecurityGroup: SecurityGroup;
  /** The migration function behind `schema`. */
  readonly migration: CoffeeLambda;
  /** The schema resource: make a database user depend on it to deploy after the migrations. */
  readonly schema: CustomResource;
  /** What the photo pipeline and the dashboard API are given (database-access.ts). */
  readonly lambdaAccess: PhotoDatabaseAccess;

  constructor(scope: Construct, id: string, props: DatabaseProps = {}) {
    super(scope, id);
    const { natGateways, minCapacity, maxCapacity, deletionProtection } = checkProps(props);

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways,
      subnetConfiguration: [
        // Only the NAT gateways live here; nothing launched in them gets a public address.
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'app', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } },
    });
    this.vpc.addFlowLog('FlowLogs', {
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogsGroup', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: FlowLogTrafficType.ALL,
    });

    const appSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    this.lambdaSecurityGroup = new SecurityGroup(this, 'LambdaSecurityGroup', {
      vpc: this.vpc,
      description: 'coffee-iot Lambdas that use the database: HTTPS to AWS APIs, MySQL to the RDS Proxy',
      allowAllOutbound: false,
    });
    this.lambdaSecurityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS to AWS APIs (NAT, S3 endpoint)',
    );
    const proxySecurityGroup = new SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: this.vpc,
      description: 'coffee-iot RDS Proxy: MySQL from the Lambdas, to the database',
      allowAllOutbound: false,
    });
    const clusterSecurityGroup = new SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: 'coffee-iot Aurora: MySQL from the RDS Proxy and the rotation function only',
      allowAllOutbound: false,
    });
    proxySecurityGroup.connections.allowFrom(
      this.lambdaSecurityGroup,
      Port.tcp(MYSQL_PORT),
      'MySQL from the coffee-iot Lambdas',
    );

    this.cluster = new DatabaseCluster(this, 'Cluster', {
      engine: DatabaseClusterEngine.auroraMysql({ version: AuroraMysqlEngineVersion.VER_3_12_0 }),
      credentials: Credentials.fromGeneratedSecret(DATABASE_ADMIN_USER),
      defaultDatabaseName: DATABASE_NAME,
      writer: ClusterInstance.serverlessV2('Writer', {
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
      }),
      serverlessV2MinCapacity: minCapacity,
      serverlessV2MaxCapacity: maxCapacity,
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [clusterSecurityGroup],
      // The RDS Proxy listens on MySQL's default port whatever the cluster's, and the Lambdas take
      // the port from the secret: a non-default port here would send them to the wrong one.
      port: MYSQL_PORT,
      storageEncrypted: true,
      backup: { retention: Duration.days(7) },
      deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
      // The slow query log is off by default in Aurora MySQL: without it the export would be empty.
      parameters: { slow_query_log: '1', long_query_time: '2', log_output: 'FILE' },
      cloudwatchLogsExports: ['error', 'slowquery'],
      cloudwatchLogsRetention: RetentionDays.ONE_MONTH,
    });
    if (this.cluster.secret === undefined) throw new Error('a generated-secret cluster has a secret');
    this.secret = this.cluster.secret;

    // The rotation function talks to Secrets Manager and to the database directly. It runs in the
    // private subnets and reaches Secrets Manager through the NAT the Lambdas need anyway (for
    // Rekognition and Kinesis); an interface endpoint would cost ~$15/month for 2 AZs for no gain.
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: appSubnets,
    });

    this.proxy = this.cluster.addProxy('Proxy', {
      // Proxy names are unique per account and region: the default (the construct id) is not.
      dbProxyName: `${Names.uniqueResourceName(this, { maxLength: 54, separator: '-' })}-proxy`,
      secrets: [this.secret],
      vpc: this.vpc,
      vpcSubnets: appSubnets,
      securityGroups: [proxySecurityGroup],
      requireTLS: true,
      // Our code signs in with the secret's user and password (cloud/src/db/secret-credentials.ts).
      iamAuth: false,
      debugLogging: false,
    });
    // addProxy opens the cluster's security group to the proxy's (and addRotationSingleUser to the
    // rotation function's): those are the only ways in. The tests pin it.

    this.migration = new CoffeeLambda(this, 'MigrateSchema', {
      handler: 'migrate-schema',
      description: 'coffee-iot: migrates the database schema on deploy (CloudFormation custom resource)',
      environment: {
        DB_SECRET_ARN: this.secret.secretArn,
        DB_HOST: this.proxy.endpoint,
        DB_NAME: DATABASE_NAME,
      },
      timeout: Duration.minutes(5),
      functionProps: {
        vpc: this.vpc,
        vpcSubnets: appSubnets,
        securityGroups: [this.lambdaSecurityGroup],
      },
    });
    this.secret.grantRead(this.migration.function);
    const provider = new Provider(this, 'SchemaProvider', {
      onEventHandler: this.migration.function,
      logGroup: new LogGroup(this, 'SchemaProviderLogs', {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.schema = new CustomResource(this, 'Schema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::CoffeeIotSchema',
      // A new migration changes this property, so the deploy that ships it sends an Update, which
      // migrates. (Delete never touches the data: cloud/src/db-deploy/schema-resource.ts.)
      properties: { LatestMigration: LATEST_MIGRATION },
    });
    // The proxy answers only once its target (the writer) is available.
    this.schema.node.addDependency(this.cluster, this.proxy);

    const secret = this.secret;
    this.lambdaAccess = {
      vpc: this.vpc,
      securityGroup: this.lambdaSecurityGroup,
      proxyEndpoint: this.proxy.endpoint,
      secret,
      databaseName: DATABASE_NAME,
      grantConnect: (grantee: IGrantable) => {
        secret.grantRead(grantee);
      },
    };
  }
}
