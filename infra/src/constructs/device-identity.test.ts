import { deviceTopicGrants, policyPatternMatches } from '@coffee-iot/shared';
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

  /** The topic patterns of one action, as IoT Core sees them for the connected thing `thing`. */
  const patternsFor = (action: 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive', thing: string) => {
    const kind = action === 'iot:Subscribe' ? 'topicfilter' : 'topic';
    return asList(iotStatement(action).Resource).map((resource) => {
      const arn = text(resource);
      expect(arn.startsWith(`${arnPrefix}${kind}/`)).toBe(true);
      // IoT Core substitutes the policy variable literally before matching.
      return arn.slice(`${arnPrefix}${kind}/`.length).replaceAll(`\${iot:Connection.Thing.ThingName}`, thing);
    });
  };
  const may = (action: 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive', thing: string, topic: string) =>
    patternsFor(action, thing).some((pattern) => policyPatternMatches(pattern, topic));

  it('lets a device publish, subscribe and receive only its own topics, config shadow, jobs and certificate requests', () => {
    const thing = `\${iot:Connection.Thing.ThingName}`;
    const own = `dt/coffee-iot/${thing}/*`;
    const shadow = `$aws/things/${thing}/shadow/name/config`;
    const jobs = `$aws/things/${thing}/jobs`;
    const csr = '$aws/certificates/create-from-csr/json';
    const answers = [`${shadow}/get/*`, `${shadow}/update/*`, `${jobs}/*`, `${csr}/*`];
    const arns = (kind: string, patterns: string[]) => patterns.map((p) => `${arnPrefix}${kind}/${p}`);
    expect(asList(iotStatement('iot:Publish').Resource).map(text)).toEqual(
      arns('topic', [own, `${shadow}/get`, `${shadow}/update`, `${jobs}/*`, csr]),
    );
    expect(asList(iotStatement('iot:Subscribe').Resource).map(text)).toEqual(
      arns('topicfilter', [own, ...answers]),
    );
    expect(asList(iotStatement('iot:Receive').Resource).map(text)).toEqual(arns('topic', [own, ...answers]));
  });

  it.each([
    ['iot:Publish', 'dt/coffee-iot/coffee-pi-1/telemetry'],
    ['iot:Publish', '$aws/things/coffee-pi-1/shadow/name/config/update'],
    ['iot:Publish', '$aws/things/coffee-pi-1/shadow/name/config/get'],
    ['iot:Publish', '$aws/things/coffee-pi-1/jobs/start-next'],
    ['iot:Publish', '$aws/things/coffee-pi-1/jobs/job-42/update'],
    ['iot:Publish', '$aws/certificates/create-from-csr/json'],
    ['iot:Subscribe', '$aws/things/coffee-pi-1/shadow/name/config/update/delta'],
    ['iot:Subscribe', '$aws/things/coffee-pi-1/jobs/notify-next'],
    ['iot:Subscribe', '$aws/certificates/create-from-csr/json/accepted'],
    ['iot:Receive', '$aws/things/coffee-pi-1/jobs/notify-next'],
    ['iot:Receive', '$aws/things/coffee-pi-1/shadow/name/config/get/accepted'],
  ] as const)('allows coffee-pi-1 %s on its own %s', (action, topic) => {
    expect(may(action, 'coffee-pi-1', topic)).toBe(true);
  });

  it.each([
    // Another thing's topics, shadow and jobs, including one whose name starts with ours.
    ['iot:Publish', 'dt/coffee-iot/coffee-pi-2/telemetry'],
    ['iot:Publish', '$aws/things/coffee-pi-2/shadow/name/config/update'],
    ['iot:Publish', '$aws/things/coffee-pi-10/jobs/start-next'],
    ['iot:Subscribe', '$aws/things/coffee-pi-2/jobs/notify-next'],
    ['iot:Subscribe', '$aws/things/coffee-pi-2/shadow/name/config/update/delta'],
    ['iot:Receive', '$aws/things/coffee-pi-2/jobs/notify-next'],
    ['iot:Receive', '$aws/things/coffee-pi-10/shadow/name/config/get/accepted'],
    // The classic shadow and other named shadows, even its own.
    ['iot:Publish', '$aws/things/coffee-pi-1/shadow/update'],
    ['iot:Publish', '$aws/things/coffee-pi-1/shadow/name/other/update'],
    ['iot:Subscribe', '$aws/things/coffee-pi-1/shadow/update/delta'],
    // MQTT wildcards reaching across things or everything.
    ['iot:Subscribe', 'dt/coffee-iot/+/telemetry'],
    ['iot:Subscribe', 'dt/coffee-iot/#'],
    ['iot:Subscribe', '$aws/things/+/jobs/notify-next'],
    ['iot:Subscribe', '$aws/things/+/shadow/name/config/update/delta'],
    ['iot:Subscribe', '$aws/things/#'],
    ['iot:Subscribe', '#'],
    // Other provisioning and service APIs: keys made in the cloud, registering things, events.
    ['iot:Publish', '$aws/certificates/create/json'],
    ['iot:Publish', '$aws/provisioning-templates/coffee-iot-fleet/provision/json'],
    ['iot:Subscribe', '$aws/events/#'],
  ] as const)('refuses coffee-pi-1 %s on %s', (action, topic) => {
    expect(may(action, 'coffee-pi-1', topic)).toBe(false);
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
    expect(iotStatements).toHaveLength(5);
    expect(iotStatements.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'iot:AssumeRoleWithCertificate',
      'iot:Connect',
      'iot:Publish',
      'iot:Receive',
      'iot:Subscribe',
    ]);
    expect(iotStatements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('gives device credentials nothing but s3:PutObject under photos/ and logs/{its thing name}/', () => {
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
    expect(statements.map((s) => [s.Action, text(s.Resource)])).toEqual([
      ['s3:PutObject', `{${bucket}.Arn}/photos/\${credentials-iot:ThingName}/*`],
      ['s3:PutObject', `{${bucket}.Arn}/logs/\${credentials-iot:ThingName}/*`],
    ]);
    expect(statements.every((s) => s.Condition === undefined)).toBe(true);
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
    expect(statements.map((s) => s.Action)).toEqual(['s3:PutObject', 's3:PutObject', 'kms:GenerateDataKey']);
    expect(statements[2]?.Resource).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    const sse = synth((s) => new Bucket(s, 'Photos', { encryption: BucketEncryption.S3_MANAGED }));
    expect(iamAllowStatements(sse.template).map((s) => s.Action)).toEqual(['s3:PutObject', 's3:PutObject']);
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
