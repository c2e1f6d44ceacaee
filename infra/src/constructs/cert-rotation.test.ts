import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { fixedPhysicalNames } from '../testing/physical-names.js';
import { asList, type Statement, text } from '../testing/template-text.js';
import { CertRotation, certificateRuleSql } from './cert-rotation.js';

function synth() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'RotationTest');
  new CertRotation(stack, 'Rotation', {
    topicPrefix: 'dt/coffee-iot',
    devicePolicyName: 'DevicePolicy-abc',
  });
  return Template.fromStack(stack);
}

const ARN = 'arn:{AWS::Partition}:iot:{AWS::Region}:{AWS::AccountId}:';

describe('certificateRuleSql', () => {
  it('selects every report with the topic’s thing and the certificate it was sent with', () => {
    expect(certificateRuleSql('dt/coffee-iot')).toBe(
      "SELECT *, topic(3) AS thing, principal() AS principal FROM 'dt/coffee-iot/+/certificate'",
    );
    expect(certificateRuleSql('a/b/c')).toContain('topic(4) AS thing');
  });

  it('refuses a prefix that would break or widen the rule', () => {
    expect(() => certificateRuleSql("dt/it's")).toThrow(/single quote/);
    expect(() => certificateRuleSql('dt/#')).toThrow(/wildcards/);
  });
});

describe('CertRotation', () => {
  const template = synth();
  // Synthesized CloudFormation, read loosely: each resource as Template.toJSON() types a template.
  const resources = template.toJSON().Resources as Record<string, ReturnType<Template['toJSON']>>;
  const only = (type: string) => {
    const found = Object.entries(resources).filter(([, r]) => r.Type === type);
    expect(found).toHaveLength(1);
    const [entry] = found;
    if (entry === undefined) throw new Error(`no ${type}`);
    return entry;
  };
  const [fnId, fn] = only('AWS::Lambda::Function');
  const [ruleId, rule] = only('AWS::IoT::TopicRule');
  const [queueId] = only('AWS::SQS::Queue');

  it('sends certificate reports to the rotation Lambda, and what it cannot deliver to the failure queue', () => {
    expect(rule.Properties.TopicRulePayload).toMatchObject({
      Sql: certificateRuleSql('dt/coffee-iot'),
      RuleDisabled: false,
      Actions: [{ Lambda: { FunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] } } }],
      ErrorAction: { Sqs: { QueueUrl: { Ref: queueId } } },
    });
  });

  it('lets IoT invoke the Lambda from this rule only, in this account', () => {
    const [, permission] = only('AWS::Lambda::Permission');
    expect(permission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'iot.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('retries a failed report twice, then keeps it in the queue', () => {
    const [, invokeConfig] = only('AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('tells the Lambda the device policy to attach', () => {
    expect(fn.Properties.Environment.Variables).toEqual({ DEVICE_POLICY_NAME: 'DevicePolicy-abc' });
  });

  it('gives the Lambda the rotation calls only: certificate-scoped where IAM allows, nothing that creates or deletes', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const iotStatements = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('iot:')));
    expect(
      Object.fromEntries(
        iotStatements.map((s) => [asList(s.Action).join(','), asList(s.Resource).map(text)]),
      ),
    ).toEqual({
      'iot:DescribeCertificate,iot:UpdateCertificate,iot:AttachPolicy,iot:DetachPolicy': [`${ARN}cert/*`],
      'iot:ListThingPrincipals,iot:ListPrincipalThings,iot:ListAttachedPolicies,iot:AttachThingPrincipal,iot:DetachThingPrincipal':
        ['*'],
    });
    for (const action of iotStatements.flatMap((s) => asList(s.Action))) {
      expect(action).not.toMatch(/\*|Create|Delete|Publish|Connect/);
    }
  });

  it('lets the rule’s error action send to the failure queue and nothing else', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')).filter((role) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('iot.amazonaws.com'),
    );
    expect(roles).toHaveLength(1);
    const statements = roles[0]?.Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
    ) as Statement[];
    expect(statements.map((s) => [s.Action, text(s.Resource)])).toEqual([
      ['sqs:SendMessage', `{${queueId}.Arn}`],
    ]);
    expect(roles[0]?.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('names nothing itself', () => {
    expect(fixedPhysicalNames(template, 'Rotation')).toEqual([]);
  });
});
