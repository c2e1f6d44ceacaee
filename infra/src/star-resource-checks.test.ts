import { App, Stack } from 'aws-cdk-lib';
import {
  type CfnRole,
  Effect,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { NagRuleCompliance } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { actionsOnStarResource } from './star-resource-checks.js';

function roleWith(...statements: PolicyStatement[]): CfnRole {
  const stack = new Stack(new App(), 'Small');
  const role = new Role(stack, 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: { Inline: new PolicyDocument({ statements }) },
  });
  return role.node.defaultChild as CfnRole;
}

describe('the star-resource rule', () => {
  it('reports each action allowed on "*", also when "*" is one resource among others', () => {
    const role = roleWith(
      new PolicyStatement({
        actions: ['s3:GetObject', 'kinesis:PutRecord'],
        resources: ['arn:aws:s3:::b/k', '*'],
      }),
      new PolicyStatement({ notActions: ['iam:*'], resources: ['*'] }),
    );
    expect(actionsOnStarResource(role)).toEqual([
      'Action::s3:GetObject',
      'Action::kinesis:PutRecord',
      'NotAction::iam:*',
    ]);
  });

  it('leaves denies and named resources alone', () => {
    const role = roleWith(
      new PolicyStatement({ effect: Effect.DENY, actions: ['s3:DeleteObject'], resources: ['*'] }),
      new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }),
    );
    expect(actionsOnStarResource(role)).toBe(NagRuleCompliance.COMPLIANT);
  });
});
