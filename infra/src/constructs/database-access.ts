import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { FunctionProps } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/** How a Lambda reaches Aurora: the RDS Data API over HTTPS, or mysql2 through RDS Proxy in the VPC. */
export type DatabaseMode = 'data-api' | 'mysql';

/**
 * What a Lambda needs to use the coffee database (the photo pipeline, the dashboard API, the
 * migrations). Every such function takes `environment` and `placement` as they are and calls
 * `grantConnect`, so the same code serves both modes:
 *
 * - `data-api` (the small profile): the function runs outside any VPC and calls the RDS Data API;
 *   environment DATABASE_MODE=data-api, DB_CLUSTER_ARN, DB_SECRET_ARN, DB_NAME; rights: the Data
 *   API's statement and transaction actions on the cluster, GetSecretValue on its secret.
 * - `mysql` (the fleet profile): the function runs in the VPC's private subnets with the security
 *   group RDS Proxy admits on 3306 and connects over TLS with the secret's user and password;
 *   environment DATABASE_MODE=mysql, DB_SECRET_ARN, DB_HOST (the proxy), DB_NAME; right: reading
 *   the secret.
 */
export interface PhotoDatabaseAccess {
  readonly mode: DatabaseMode;
  /** The cluster's credentials secret. */
  readonly secret: ISecret;
  readonly databaseName: string;
  /** The variables the handlers' database configuration reads. */
  readonly environment: Readonly<Record<string, string>>;
  /** VPC placement for `mysql` (vpc, subnets, security group); empty for `data-api`. */
  readonly placement: Readonly<Pick<FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>>;
  /** Gives `grantee` exactly the rights connecting needs in this mode, and nothing else. */
  grantConnect(grantee: IGrantable): void;
}
