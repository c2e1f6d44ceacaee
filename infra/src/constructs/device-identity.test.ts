import { deviceTopicGrants } from '@coffee-iot/shared';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { fixedPhysicalNames } from '../testing/physical-names.js';
import { asList, iamAllowStatements, type Statement, text } from '../testing/template-text.js';
import { DeviceIdentity } from './device-identity.js';

function synth(photoBucket: (stack: Stack) => Bucket) {
  const stack = new Stack(new App(), 'DeviceIdentityTest');
  const identity = new DeviceIdentity(stack, 'Devices', {
    topicPrefix: 'dt/coffee-iot',
    photoBucket: photoBucket(stack),
  });
  return { stack, identity, template: Template.fromStack(stack) };
}

describe('DeviceIdentity', () => {
  const { stack, identity, template } = synth((s) => new Bucket(s, 'Photos'));
  const iotPolicy = Object.values(template.findResources('AWS::IoT::Policy'))[0];
  const iotStatements = (iotPolicy?.Properties.PolicyDocument.Statement ?? []) as Statement[];
  const iotStatement = (action: string) => {
    const found = iotStatements.filter((s) => asList(s.Action).includes(action));
    expect(found).toHaveLength(1);
    return found[0] as Statement;
  };
  const arnPrefix = 'arn:{AWS::Partition}:iot:{AWS::Region}:{AWS::AccountId}:';

  it('lets a device connect only as its own thing, with a certificate that thing is attached to', () => {
    const connect = iotStatement('iot:Connect');
    expect(asList(connect.Resource).map(text)).toEqual([
      `${arnPrefix}client/\${iot:Connection.Thing.ThingName}`,
    ]);
    expect(connect.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
  });

  it('lets a device publish, subscribe and receive only under {prefix}/{its thing name}/', () => {
    const own = `dt/coffee-iot/\${iot:Connection.Thing.ThingName}/*`;
    expect(asList(iotStatement('iot:Publish').Resource).map(text)).toEqual([`${arnPrefix}topic/${own}`]);
    expect(asList(iotStatement('iot:Subscribe').Resource).map(text)).toEqual([
      `${arnPrefix}topicfilter/${own}`,
    ]);
    expect(asList(iotStatement('iot:Receive').Resource).map(text)).toEqual([`${arnPrefix}topic/${own}`]);
  });

  it('builds its topic resources from the grants the local broker enforces (shared deviceTopicGrants)', () => {
    const grants = deviceTopicGrants('dt/coffee-iot', `\${iot:Connection.Thing.ThingName}`);
    const arns = (resource: string, patterns: readonly string[]) =>
      patterns.map((pattern) => `${arnPrefix}${resource}/${pattern}`);
    expect(asList(iotStatement('iot:Publish').Resource).map(text)).toEqual(arns('topic', grants.publish));
    expect(asList(iotStatement('iot:Subscribe').Resource).map(text)).toEqual(
      arns('topicfilter', grants.subscribe),
    );
    expect(asList(iotStatement('iot:Receive').Resource).map(text)).toEqual(arns('topic', grants.receive));
  });

  it('lets a device assume only the photo-upload role alias', () => {
    const roleAlias = Object.keys(template.findResources('AWS::IoT::RoleAlias'))[0];
    expect(iotStatement('iot:AssumeRoleWithCertificate').Resource).toEqual({
      'Fn::GetAtt': [roleAlias, 'RoleAliasArn'],
    });
  });

  it('allows nothing else over MQTT: five statements, no wildcard action', () => {
    expect(iotStatements.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'iot:AssumeRoleWithCertificate',
      'iot:Connect',
      'iot:Publish',
      'iot:Receive',
      'iot:Subscribe',
    ]);
    expect(iotStatements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('gives device credentials nothing but s3:PutObject under photos/{its thing name}/', () => {
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket'))[0];
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'credentials.iot.amazonaws.com' },
          },
        ],
      },
    });
    const statements = iamAllowStatements(template);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('s3:PutObject');
    expect(text(statements[0]?.Resource)).toBe(`{${bucket}.Arn}/photos/\${credentials-iot:ThingName}/*`);
  });

  it('issues credentials for an hour, within the role’s maximum session', () => {
    template.hasResourceProperties('AWS::IoT::RoleAlias', { CredentialDurationSeconds: 3600 });
    template.hasResourceProperties('AWS::IAM::Role', { MaxSessionDuration: 3600 });
  });

  it('exposes the policy name, role alias name and role alias ARN', () => {
    const policy = Object.keys(template.findResources('AWS::IoT::Policy'))[0];
    const roleAlias = Object.keys(template.findResources('AWS::IoT::RoleAlias'))[0];
    expect(stack.resolve(identity.policyName)).toEqual({ Ref: policy });
    expect(stack.resolve(identity.roleAliasName)).toEqual({ Ref: roleAlias });
    expect(stack.resolve(identity.roleAliasArn)).toEqual({ 'Fn::GetAtt': [roleAlias, 'RoleAliasArn'] });
  });

  it('asks KMS for a data key, on the bucket’s key only, when the bucket is SSE-KMS', () => {
    const kms = synth((s) => new Bucket(s, 'Photos', { encryptionKey: new Key(s, 'PhotoKey') }));
    const key = Object.keys(kms.template.findResources('AWS::KMS::Key'))[0];
    const statements = iamAllowStatements(kms.template);
    expect(statements.map((s) => s.Action)).toEqual(['s3:PutObject', 'kms:GenerateDataKey']);
    expect(statements[1]?.Resource).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    const sse = synth((s) => new Bucket(s, 'Photos', { encryption: BucketEncryption.S3_MANAGED }));
    expect(iamAllowStatements(sse.template).map((s) => s.Action)).toEqual(['s3:PutObject']);
  });

  it('grants no wildcard action and no "*" resource', () => {
    for (const statement of [...iamAllowStatements(template), ...iotStatements]) {
      for (const action of asList(statement.Action)) expect(action).not.toContain('*');
      expect(asList(statement.Resource)).not.toContain('*');
    }
  });

  it('names nothing itself (the policy, role alias and role), so that two stacks coexist in one account', () => {
    expect(fixedPhysicalNames(template, 'Devices')).toEqual([]);
  });

  it('refuses a topic prefix with MQTT wildcards', () => {
    const scratch = new Stack(new App(), 'Bad');
    expect(
      () =>
        new DeviceIdentity(scratch, 'Devices', {
          topicPrefix: 'dt/+',
          photoBucket: new Bucket(scratch, 'P'),
        }),
    ).toThrow(/topicPrefix "dt\/\+" must not contain MQTT wildcards/);
  });
});
