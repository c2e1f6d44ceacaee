import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/**
 * What a Lambda needs to use the coffee database (the photo pipeline, the dashboard API): it runs
 * in `vpc` (private subnets with egress) with `securityGroup`, which the RDS Proxy admits on 3306,
 * and connects to `proxyEndpoint` over TLS with the user and password it reads from `secret`.
 * The environment the handlers expect: DB_SECRET_ARN = secret.secretArn, DB_HOST = proxyEndpoint,
 * DB_NAME = databaseName.
 */
export interface PhotoDatabaseAccess {
  readonly vpc: IVpc;
  /** The Lambdas' security group: the proxy admits it, nothing else does. */
  readonly securityGroup: ISecurityGroup;
  /** The RDS Proxy's endpoint (TLS required). */
  readonly proxyEndpoint: string;
  /** The cluster's credentials secret (username, password, host, port, dbname), rotated. */
  readonly secret: ISecret;
  readonly databaseName: string;
  /** Lets `grantee` read the secret: the only IAM right connecting needs (the proxy checks the password). */
  grantConnect(grantee: IGrantable): void;
}
