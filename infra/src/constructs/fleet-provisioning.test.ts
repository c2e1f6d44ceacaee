import { claimTopicGrants, PROVISIONED_THING_PREFIX, policyPatternMatches } from '@coffee-iot/shared';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { fixedPhysicalNames } from '../testing/physical-names.js';
import { asList, type Statement, text } from '../testing/template-text.js';
import type { PhotoDatabaseAccess } from './database-access.js';
import { FleetProvisioning, PRE_PROVISIONING_HOOK_LIMIT } from './fleet-provisioning.js';

const TEMPLATE_NAME = 'coffee-iot-fleet';
const CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee';

/** A stand-in for Database.lambdaAccess in data-api mode (the real one: database.test.ts). */
function dataApiAccess(stack: Stack): PhotoDatabaseAccess {
  const secret = new Secret(stack, 'DatabaseSecret');
  return {
    mode: 'data-api',
    secret,
    databaseName: 'coffee_iot',
    environment: {
      DATABASE_MODE: 'data-api',
      DB_CLUSTER_ARN: CLUSTER_ARN,
      DB_SECRET_ARN: secret.secretArn,
      DB_NAME: 'coffee_iot',
    },
    placement: {},
    grantConnect: (grantee: IGrantable) => {
      secret.grantRead(grantee);
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'StubConnect',
          actions: ['rds-data:ExecuteStatement'],
          resources: [CLUSTER_ARN],
        }),
      );
    },
  };
}

function synth() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'FleetTest');
  const fleet = new FleetProvisioning(stack, 'Fleet', {
    templateName: TEMPLATE_NAME,
    devicePolicyName: 'DevicePolicy-abc',
    database: dataApiAccess(stack),
  });
  return { stack, fleet, template: Template.fromStack(stack) };
}

const ARN = 'arn:{AWS::Partition}:iot:{AWS::Region}:{AWS::AccountId}:';

describe('FleetProvisioning', () => {
  const { stack, fleet, template } = synth();
  // Synthesized CloudFormation, read loosely: each resource as Template.toJSON() types a template.
  const resources = template.toJSON().Resources as Record<string, ReturnType<Template['toJSON']>>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const [templateId, provisioning] = ofType('AWS::IoT::ProvisioningTemplate')[0] ?? [];
  const [claimId, claimPolicy] = ofType('AWS::IoT::Policy')[0] ?? [];
  const claimStatements = (claimPolicy?.Properties.PolicyDocument.Statement ?? []) as Statement[];
  const claimStatement = (action: string, effect = 'Allow') => {
    const found = claimStatements.filter((s) => asList(s.Action).includes(action) && s.Effect === effect);
    expect(found).toHaveLength(1);
    return found[0] as Statement;
  };
  const hookId = Object.keys(template.findResources('AWS::Lambda::Function'))[0] as string;

  describe('claim certificate policy', () => {
    it('allows connecting with any client id but a provisioned thing’s: a Pi on first boot has no thing yet', () => {
      expect(asList(claimStatement('iot:Connect').Resource).map(text)).toEqual([`${ARN}client/*`]);
      // IoT Core drops the older connection of a client id: the image's claim certificate must not
      // be able to knock coffee-pi-… off by connecting under its name.
      expect(asList(claimStatement('iot:Connect', 'Deny').Resource).map(text)).toEqual([
        `${ARN}client/${PROVISIONED_THING_PREFIX}*`,
      ]);
    });

    it('allows only CreateCertificateFromCsr and this template’s RegisterThing, built from shared claimTopicGrants', () => {
      const grants = claimTopicGrants(TEMPLATE_NAME);
      const arns = (kind: string, patterns: readonly string[]) => patterns.map((p) => `${ARN}${kind}/${p}`);
      expect(asList(claimStatement('iot:Publish').Resource).map(text)).toEqual([
        `${ARN}topic/$aws/certificates/create-from-csr/json`,
        `${ARN}topic/$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
      ]);
      expect(asList(claimStatement('iot:Publish').Resource).map(text)).toEqual(arns('topic', grants.publish));
      expect(asList(claimStatement('iot:Subscribe').Resource).map(text)).toEqual(
        arns('topicfilter', grants.subscribe),
      );
      expect(asList(claimStatement('iot:Receive').Resource).map(text)).toEqual(arns('topic', grants.receive));
    });

    const claimMay = (action: string, topic: string) => {
      const kind = action === 'iot:Subscribe' ? 'topicfilter' : 'topic';
      return asList(claimStatement(action).Resource)
        .map((r) => text(r).slice(`${ARN}${kind}/`.length))
        .some((pattern) => policyPatternMatches(pattern, topic));
    };

    it.each([
      ['iot:Publish', 'dt/coffee-iot/coffee-pi-1/telemetry'],
      ['iot:Publish', '$aws/things/coffee-pi-1/shadow/name/config/update'],
      ['iot:Publish', '$aws/things/coffee-pi-1/jobs/start-next'],
      ['iot:Publish', '$aws/certificates/create/json'],
      ['iot:Publish', '$aws/provisioning-templates/other-template/provision/json'],
      ['iot:Subscribe', 'dt/coffee-iot/+/telemetry'],
      ['iot:Subscribe', '#'],
      ['iot:Subscribe', '$aws/things/+/jobs/notify-next'],
      ['iot:Receive', 'dt/coffee-iot/coffee-pi-1/telemetry'],
    ])('refuses a claim certificate %s on %s', (action, topic) => {
      expect(claimMay(action, topic)).toBe(false);
    });

    it('has four Allow statements and the one Deny, no wildcard action', () => {
      expect(claimStatements).toHaveLength(5);
      expect(claimStatements.flatMap((s) => asList(s.Action)).sort()).toEqual([
        'iot:Connect',
        'iot:Connect',
        'iot:Publish',
        'iot:Receive',
        'iot:Subscribe',
      ]);
      expect(claimStatements.filter((s) => s.Effect === 'Deny').flatMap((s) => asList(s.Action))).toEqual([
        'iot:Connect',
      ]);
      expect(stack.resolve(fleet.claimPolicyName)).toEqual({ Ref: claimId });
    });
  });

  describe('provisioning template', () => {
    it('is named for the devices, enabled, and calls the pre-provisioning hook', () => {
      expect(provisioning?.Properties).toMatchObject({
        TemplateName: TEMPLATE_NAME,
        Enabled: true,
        PreProvisioningHook: { TargetArn: { 'Fn::GetAtt': [hookId, 'Arn'] }, PayloadVersion: '2020-04-01' },
      });
      expect(fleet.templateName).toBe(TEMPLATE_NAME);
    });

    it('makes thing coffee-pi-{SerialNumber} with the new certificate ACTIVE and the device policy', () => {
      const body = JSON.parse(text(provisioning?.Properties.TemplateBody));
      expect(body.Parameters).toEqual({
        SerialNumber: { Type: 'String' },
        'AWS::IoT::Certificate::Id': { Type: 'String' },
      });
      expect(body.Resources.thing.Properties.ThingName).toEqual({
        'Fn::Join': ['', ['coffee-pi-', { Ref: 'SerialNumber' }]],
      });
      expect(body.Resources.certificate.Properties).toEqual({
        CertificateId: { Ref: 'AWS::IoT::Certificate::Id' },
        Status: 'ACTIVE',
      });
      expect(body.Resources.policy).toEqual({
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: 'DevicePolicy-abc' },
      });
      expect(Object.keys(body.Resources).sort()).toEqual(['certificate', 'policy', 'thing']);
    });
  });

  describe('pre-provisioning hook', () => {
    it('times out before IoT Core’s 5 s and reads the allow-list from the registry database', () => {
      const hook = resources[hookId]?.Properties;
      expect(hook.Timeout).toBeLessThan(PRE_PROVISIONING_HOOK_LIMIT.toSeconds());
      expect(hook.Environment.Variables).toMatchObject({ DATABASE_MODE: 'data-api', DB_NAME: 'coffee_iot' });
      const policies = Object.values(template.findResources('AWS::IAM::Policy'));
      const hookStatements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      expect(hookStatements.map((s) => s.Sid ?? s.Action)).toEqual(expect.arrayContaining(['StubConnect']));
      // Nothing but the database: no IoT rights of its own.
      expect(hookStatements.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith('iot:'))).toEqual([]);
    });

    it('may be invoked by IoT for this template only, in this account', () => {
      const [, permission] = ofType('AWS::Lambda::Permission')[0] ?? [];
      expect(permission?.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'iot.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
      });
      expect(text(permission?.Properties.SourceArn)).toBe(`${ARN}provisioningtemplate/${TEMPLATE_NAME}`);
      expect(resources[templateId as string]).toMatchObject({ DependsOn: expect.any(Array) });
    });
  });

  describe('provisioning role', () => {
    const [, role] = ofType('AWS::IAM::Role').find(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('iot.amazonaws.com'),
    ) ?? [undefined, undefined];
    const statements = (role?.Properties.Policies?.[0]?.PolicyDocument.Statement ?? []) as Statement[];
    const byActions = Object.fromEntries(
      statements.map((s) => [asList(s.Action).join(','), asList(s.Resource).map(text)]),
    );

    it('is the template’s, assumed by IoT', () => {
      expect(text(provisioning?.Properties.ProvisioningRoleArn)).toMatch(
        /^\{FleetProvisioningRole[0-9A-F]+\.Arn\}$/,
      );
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('may create and update coffee-pi-* things only, activate certificates and read the device policy', () => {
      expect(byActions).toEqual({
        'iot:CreateThing,iot:DescribeThing,iot:UpdateThing': [`${ARN}thing/coffee-pi-*`],
        'iot:DescribeCertificate,iot:UpdateCertificate,iot:AttachPolicy': [`${ARN}cert/*`],
        'iot:GetPolicy': [`${ARN}policy/DevicePolicy-abc`],
        'iot:AttachThingPrincipal': ['*'],
      });
    });

    it('cannot create, delete or detach policies, certificates or things', () => {
      const actions = statements.flatMap((s) => asList(s.Action));
      for (const action of actions) {
        expect(action).not.toMatch(
          /\*|CreatePolicy|Delete|Detach|CreateKeysAndCertificate|RegisterCertificate/,
        );
      }
    });
  });

  it('names nothing itself but the template, whose name the devices must know', () => {
    expect(fixedPhysicalNames(template, 'Fleet')).toEqual([]);
  });

  it('refuses a template name that would widen the claim policy', () => {
    const scratch = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');
    expect(
      () =>
        new FleetProvisioning(scratch, 'Fleet', {
          templateName: 'coffee*',
          devicePolicyName: 'p',
          database: dataApiAccess(scratch),
        }),
    ).toThrow(/provisioning template name/);
  });
});
