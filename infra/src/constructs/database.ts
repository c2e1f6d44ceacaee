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
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
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

/** `small`: Data API, auto-pause, no proxy and no NAT; `fleet`: RDS Proxy in a VPC with NAT (stack-config.ts). */
export type DatabaseProfile = 'small' | 'fleet';

export interface DatabaseProps {
  /** Default `small`: the database pauses when idle and the Lambdas reach it over the RDS Data API. */
  readonly profile?: DatabaseProfile;
  /** fleet only: NAT gateways for the Lambdas' egress (Rekognition, Kinesis, Secrets Manager): 1 or 2 (one per AZ). Default 1. */
  readonly natGateways?: number;
  /** Aurora Serverless v2 capacity floor in ACUs (0 pauses when idle, 0.5 steps). Default 0 (small), 0.5 (fleet). */
  readonly minCapacity?: number;
  /** Capacity ceiling in ACUs. Default 4. */
  readonly maxCapacity?: number;
  /** Idle seconds before a 0-ACU database pauses: 300 (the least Aurora takes) to 86,400. Default 300. */
  readonly autoPauseSeconds?: number;
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

/** Exactly what a Data API caller needs: statements and transactions, nothing administrative. */
export const DATA_API_ACTIONS = [
  'rds-data:ExecuteStatement',
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:RollbackTransaction',
] as const;

type CheckedProps = Required<Omit<DatabaseProps, 'natGateways'>> & { natGateways: number };

function checkProps(props: DatabaseProps): CheckedProps {
  const profile = props.profile ?? 'small';
  const natGateways = props.natGateways ?? (profile === 'fleet' ? 1 : 0);
  const minCapacity = props.minCapacity ?? (profile === 'small' ? 0 : 0.5);
  const maxCapacity = props.maxCapacity ?? 4;
  const autoPauseSeconds = props.autoPauseSeconds ?? 300;
  const problems: string[] = [];
  if (profile !== 'small' && profile !== 'fleet') {
    problems.push(`profile must be small or fleet, got ${JSON.stringify(profile)}`);
  } else if (profile === 'fleet') {
    // Without NAT the private subnets have no way to Rekognition, Kinesis or Secrets Manager.
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > 2) {
      problems.push(`natGateways must be 1 or 2 (one per AZ at most), got ${natGateways}`);
    }
  } else if (props.natGateways !== undefined && props.natGateways !== 0) {
    // The small profile's Lambdas run outside the VPC: a NAT gateway there would bill for nothing.
    problems.push(`natGateways is for the fleet profile only (the small one has no NAT), got ${natGateways}`);
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
  if (!Number.isInteger(autoPauseSeconds) || autoPauseSeconds < 300 || autoPauseSeconds > 86_400) {
    problems.push(`autoPauseSeconds must be a whole number from 300 to 86400, got ${autoPauseSeconds}`);
  }
  if (problems.length > 0) throw new DatabasePropsError(problems);
  return {
    profile,
    natGateways,
    minCapacity,
    maxCapacity,
    autoPauseSeconds,
    deletionProtection: props.deletionProtection ?? true,
  };
}

/**
 * The coffee database and the network it lives in, in one of two profiles:
 *
 * - Both: Aurora Serverless v2 (MySQL 3), encrypted, IAM auth on, backups kept 7 days, error and
 *   slow query logs exported, in the isolated subnets of a VPC over 2 AZs with flow logs to
 *   CloudWatch Logs; the schema migrated on every deploy that brings a new migration (a custom
 *   resource).
 * - `small` (default): a 0-ACU floor, so the database pauses after `autoPauseSeconds` idle; the
 *   RDS Data API on; the admin password managed and rotated by RDS itself in Secrets Manager (no
 *   rotation Lambda, which would need a way out of the VPC). The VPC holds only the database's
 *   isolated subnets: no NAT gateway, no endpoints, and no ingress rule at all, since the Lambdas
 *   call the Data API from outside any VPC.
 * - `fleet`: public subnets hold only the NAT gateway(s); Lambdas, an RDS Proxy (TLS required)
 *   and the rotation function (every 30 days) run in private subnets with egress; security
 *   groups chain Lambdas → proxy → database on 3306 and nothing else; S3 through a gateway
 *   endpoint.
 */
export class Database extends Construct {
  readonly profile: DatabaseProfile;
  readonly vpc: Vpc;
  readonly cluster: DatabaseCluster;
  /** fleet only. */
  readonly proxy?: DatabaseProxy;
  /** The cluster's admin secret: CDK-generated with host and port (fleet), RDS-managed (small). */
  readonly secret: ISecret;
  readonly databaseName = DATABASE_NAME;
  /** fleet only: for every Lambda that uses the database; the proxy admits it on 3306. */
  readonly lambdaSecurityGroup?: SecurityGroup;
  /** The migration function behind `schema`. */
  readonly migration: CoffeeLambda;
  /** The schema resource: make a database user depend on it to deploy after the migrations. */
  readonly schema: CustomResource;
  /** What the photo pipeline, the dashboard API and the migrations are given (database-access.ts). */
  readonly lambdaAccess: PhotoDatabaseAccess;

  constructor(scope: Construct, id: string, props: DatabaseProps = {}) {
    super(scope, id);
    const checked = checkProps(props);
    const { profile } = checked;
    this.profile = profile;
    const fleet = profile === 'fleet';

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: checked.natGateways,
      subnetConfiguration: [
        ...(fleet
          ? [
              // Only the NAT gateways live here; nothing launched in them gets a public address.
              { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
              { name: 'app', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
            ]
          : []),
        { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      ...(fleet ? { gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } } } : {}),
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

    const clusterSecurityGroup = new SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: fleet
        ? 'coffee-iot Aurora: MySQL from the RDS Proxy and the rotation function only'
        : 'coffee-iot Aurora: no network access at all (the Lambdas use the RDS Data API)',
      allowAllOutbound: false,
    });

    this.cluster = new DatabaseCluster(this, 'Cluster', {
      engine: DatabaseClusterEngine.auroraMysql({ version: AuroraMysqlEngineVersion.VER_3_12_0 }),
      // small: RDS generates, stores and rotates the password; fleet: CDK generates the secret
      // (with host and port, which the proxy's clients read) and a rotation Lambda rotates it.
      credentials: fleet
        ? Credentials.fromGeneratedSecret(DATABASE_ADMIN_USER)
        : Credentials.fromUsername(DATABASE_ADMIN_USER),
      ...(fleet ? {} : { manageMasterUserPassword: true, enableDataApi: true }),
      defaultDatabaseName: DATABASE_NAME,
      writer: ClusterInstance.serverlessV2('Writer', {
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
      }),
      serverlessV2MinCapacity: checked.minCapacity,
      serverlessV2MaxCapacity: checked.maxCapacity,
      // Aurora MySQL 3.08+ pauses a 0-ACU writer once nothing has used it for this long.
      ...(checked.minCapacity === 0
        ? { serverlessV2AutoPauseDuration: Duration.seconds(checked.autoPauseSeconds) }
        : {}),
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      securityGroups: [clusterSecurityGroup],
      // The RDS Proxy listens on MySQL's default port whatever the cluster's, and the Lambdas take
      // the port from the secret: a non-default port here would send them to the wrong one.
      port: MYSQL_PORT,
      storageEncrypted: true,
      backup: { retention: Duration.days(7) },
      deletionProtection: checked.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
      // The slow query log is off by default in Aurora MySQL: without it the export would be empty.
      parameters: { slow_query_log: '1', long_query_time: '2', log_output: 'FILE' },
      cloudwatchLogsExports: ['error', 'slowquery'],
      cloudwatchLogsRetention: RetentionDays.ONE_MONTH,
    });
    if (this.cluster.secret === undefined) throw new Error('a generated-secret cluster has a secret');
    this.secret = this.cluster.secret;

    let access: PhotoDatabaseAccess;
    if (fleet) {
      const proxied = this.addProxyLayout();
      this.proxy = proxied.proxy;
      this.lambdaSecurityGroup = proxied.lambdaSecurityGroup;
      access = proxied.access;
    } else {
      access = this.dataApiAccess();
    }
    this.lambdaAccess = access;

    this.migration = new CoffeeLambda(this, 'MigrateSchema', {
      handler: 'migrate-schema',
      description: 'coffee-iot: migrates the database schema on deploy (CloudFormation custom resource)',
      environment: { ...access.environment },
      timeout: Duration.minutes(5),
      functionProps: { ...access.placement },
    });
    access.grantConnect(this.migration.function);
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
    // The proxy answers only once its target (the writer) is available; the Data API likewise.
    this.schema.node.addDependency(this.cluster);
    if (this.proxy) this.schema.node.addDependency(this.proxy);
  }

  /** small: the Data API from outside any VPC, with its five actions on this cluster and the secret. */
  private dataApiAccess(): PhotoDatabaseAccess {
    const { cluster, secret } = this;
    return {
      mode: 'data-api',
      secret,
      databaseName: DATABASE_NAME,
      environment: {
        DATABASE_MODE: 'data-api',
        DB_CLUSTER_ARN: cluster.clusterArn,
        DB_SECRET_ARN: secret.secretArn,
        DB_NAME: DATABASE_NAME,
      },
      placement: {},
      grantConnect: (grantee: IGrantable) => {
        // Not cluster.grantDataApiAccess: that also grants DescribeSecret, which nothing here calls.
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({
            sid: 'UseDatabaseDataApi',
            actions: [...DATA_API_ACTIONS],
            resources: [cluster.clusterArn],
          }),
        );
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({
            sid: 'ReadDatabaseSecret',
            actions: ['secretsmanager:GetSecretValue'],
            resources: [secret.secretArn],
          }),
        );
      },
    };
  }

  /** fleet: Lambda and proxy security groups, secret rotation, and the RDS Proxy. */
  private addProxyLayout(): {
    proxy: DatabaseProxy;
    lambdaSecurityGroup: SecurityGroup;
    access: PhotoDatabaseAccess;
  } {
    const appSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    const lambdaSecurityGroup = new SecurityGroup(this, 'LambdaSecurityGroup', {
      vpc: this.vpc,
      description: 'coffee-iot Lambdas that use the database: HTTPS to AWS APIs, MySQL to the RDS Proxy',
      allowAllOutbound: false,
    });
    lambdaSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to AWS APIs (NAT, S3 endpoint)');
    const proxySecurityGroup = new SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: this.vpc,
      description: 'coffee-iot RDS Proxy: MySQL from the Lambdas, to the database',
      allowAllOutbound: false,
    });
    proxySecurityGroup.connections.allowFrom(
      lambdaSecurityGroup,
      Port.tcp(MYSQL_PORT),
      'MySQL from the coffee-iot Lambdas',
    );

    // The rotation function talks to Secrets Manager and to the database directly. It runs in the
    // private subnets and reaches Secrets Manager through the NAT the Lambdas need anyway (for
    // Rekognition and Kinesis); an interface endpoint would cost ~$15/month for 2 AZs for no gain.
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: appSubnets,
    });

    const proxy = this.cluster.addProxy('Proxy', {
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

    const secret = this.secret;
    const access: PhotoDatabaseAccess = {
      mode: 'mysql',
      secret,
      databaseName: DATABASE_NAME,
      environment: {
        DATABASE_MODE: 'mysql',
        DB_SECRET_ARN: secret.secretArn,
        DB_HOST: proxy.endpoint,
        DB_NAME: DATABASE_NAME,
      },
      placement: { vpc: this.vpc, vpcSubnets: appSubnets, securityGroups: [lambdaSecurityGroup] },
      // The proxy checks the password: reading the secret is the only IAM right connecting needs.
      grantConnect: (grantee: IGrantable) => {
        secret.grantRead(grantee);
      },
    };
    return { proxy, lambdaSecurityGroup, access };
  }
}
