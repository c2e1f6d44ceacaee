import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { describeError, isAwsError } from './aws-errors.js';
import type { DeviceResourceProblem } from './device-resource-checks.js';
import { trustVerdict } from './role-trust-policy.js';

/*
 * The IAM role behind the role alias, read with GetRole: a device gets its upload credentials by
 * the IoT credentials provider assuming this role, so a role that is gone, that the provider may
 * not assume, or whose sessions are shorter than the alias asks for gives a bundle that can never
 * upload a photo, however right everything else is.
 */

/** The service principal the IoT credentials provider assumes roles as. */
export const IOT_CREDENTIALS_PRINCIPAL = 'credentials.iot.amazonaws.com';

/** IAM's own default, for a role alias that does not say (DescribeRoleAlias always does). */
const DEFAULT_CREDENTIAL_DURATION_SECONDS = 3600;

export interface UploadRoleContext {
  roleAlias: string;
  /** "IoT role alias PhotoUpload (from --role-alias)". */
  roleAliasLabel: string;
  /** The role alias's roleArn, already checked to be an IAM role ARN of the alias's account. */
  roleArn: string;
  /** How long the alias asks the credentials provider's credentials to last. */
  credentialDurationSeconds: number | undefined;
  region: string;
}

/** arn:…:role/[PATH/]NAME → NAME: GetRole takes the name alone, whatever the role's path. */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

function repointAlias(context: UploadRoleContext): string {
  return (
    `aws iot update-role-alias --role-alias ${context.roleAlias} --role-arn ROLE_ARN ` +
    `--region ${context.region}`
  );
}

function readFailed(context: UploadRoleContext, roleName: string, error: unknown): DeviceResourceProblem {
  const problem = `cannot read IAM role ${roleName}, behind ${context.roleAliasLabel}: ${describeError(error)}`;
  if (isAwsError(error, 'AccessDenied', 'AccessDeniedException')) {
    return {
      resource: 'roleAlias',
      problem,
      fix:
        `the AWS credentials need iam:GetRole on ${context.roleArn} (provisioning reads the role to ` +
        'check that it exists and that the IoT credentials provider may assume it)',
      error,
    };
  }
  return {
    resource: 'roleAlias',
    problem,
    fix: 'the AWS credentials need iam:GetRole on it; if it is throttling or the network, try again',
    error,
  };
}

/**
 * GetRole on the role the alias points to: it must exist, trust the IoT credentials provider
 * (sts:AssumeRole for credentials.iot.amazonaws.com), and allow sessions as long as the alias's
 * credentialDurationSeconds. Answers the problems found (none when the role will do); changes
 * nothing.
 */
export async function checkUploadRole(
  iam: IAMClient,
  context: UploadRoleContext,
): Promise<DeviceResourceProblem[]> {
  const roleName = roleNameOf(context.roleArn);
  let role: { AssumeRolePolicyDocument?: string; MaxSessionDuration?: number } | undefined;
  try {
    ({ Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName })));
  } catch (error) {
    if (isAwsError(error, 'NoSuchEntityException', 'NoSuchEntity')) {
      return [
        {
          resource: 'roleAlias',
          problem: `${context.roleAliasLabel} points to IAM role ${context.roleArn}, which does not exist`,
          fix:
            'the role was deleted, or the alias names the wrong one: deploy the stack (cd infra && npx cdk deploy) ' +
            `to recreate its photo upload role, or point the alias at an existing role: ${repointAlias(context)}`,
        },
      ];
    }
    return [readFailed(context, roleName, error)];
  }

  const problems: DeviceResourceProblem[] = [];
  const verdict = trustVerdict(role?.AssumeRolePolicyDocument, IOT_CREDENTIALS_PRINCIPAL);
  if (!verdict.trusted) {
    const why =
      verdict.reason === 'unreadable'
        ? verdict.detail
        : `${verdict.reason}: the IoT credentials provider could never hand a device credentials, so no photo would upload`;
    problems.push({
      resource: 'roleAlias',
      problem:
        `IAM role ${context.roleArn}, behind ${context.roleAliasLabel}, does not let ` +
        `${IOT_CREDENTIALS_PRINCIPAL} assume it (${why})`,
      fix:
        `allow sts:AssumeRole to the service principal ${IOT_CREDENTIALS_PRINCIPAL} in its trust policy ` +
        `(aws iam update-assume-role-policy --role-name ${roleName} --policy-document file://trust.json), ` +
        `or point the alias at the stack's photo upload role: ${repointAlias(context)}`,
    });
  }
  const duration = context.credentialDurationSeconds ?? DEFAULT_CREDENTIAL_DURATION_SECONDS;
  const maxSession = role?.MaxSessionDuration;
  // CreateRoleAlias/UpdateRoleAlias: credentialDurationSeconds must not exceed the role's maximum.
  if (maxSession !== undefined && duration > maxSession) {
    problems.push({
      resource: 'roleAlias',
      problem:
        `${context.roleAliasLabel} asks for ${duration} s credentials, but its IAM role ${roleName} ` +
        `allows sessions of at most ${maxSession} s: the IoT credentials provider would refuse every request`,
      fix:
        `shorten the alias's (aws iot update-role-alias --role-alias ${context.roleAlias} ` +
        `--credential-duration-seconds ${maxSession} --region ${context.region}) or lengthen the role's ` +
        `(aws iam update-role --role-name ${roleName} --max-session-duration ${duration})`,
    });
  }
  return problems;
}
