import { App, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { CoffeeIotStack } from './coffee-iot-stack.js';
import type { IngestPath } from './constructs/ingest-target.js';
import {
  AcknowledgedConstructNotFoundError,
  applyAcknowledgements,
  stackAcknowledgements,
} from './nag-acknowledgements.js';
import type { DeploymentProfile } from './stack-config.js';
import { rawNagFindings, unacknowledgedFindings, unusedAcknowledgements } from './testing/nag-findings.js';

/**
 * The stack as `cdk synth` builds it (app.ts registers the AWS Solutions checks), but without
 * bundling the Lambda code (esbuild costs seconds per function) and without CDK's built-in template
 * validation (its engine takes ~10 s to start): cdk-nag reads neither. Both still run in
 * coffee-iot-stack.test.ts and in the real `cdk synth` (test/src/infra/cdk-synth.test.ts).
 */
function coffeeIot(
  glueStreamingJob = false,
  profile: DeploymentProfile = 'small',
  ingestPath: IngestPath = glueStreamingJob ? 'stream' : 'direct',
): { app: App; stack: CoffeeIotStack } {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: {
      'aws:cdk:bundling-stacks': [],
      'coffee-iot:glueStreamingJob': glueStreamingJob,
      'coffee-iot:profile': profile,
      'coffee-iot:ingestPath': ingestPath,
    },
  });
  const stack = new CoffeeIotStack(app, 'CoffeeIot', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

function roleAt(stack: Stack, path: string): Role {
  let current: IConstruct = stack;
  for (const id of path.split('/')) current = current.node.findChild(id);
  if (!(current instanceof Role)) throw new Error(`${path} is not a Role`);
  return current;
}

const ACKNOWLEDGED_RULES = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

describe('cdk-nag acknowledgements', () => {
  // Each profile and ingest path, and the Glue job's variant (its findings do not depend on the profile).
  describe.each([
    [false, 'small', 'direct'],
    [false, 'fleet', 'direct'],
    [false, 'small', 'stream'],
    [true, 'small', 'stream'],
  ] as const)('with the Glue streaming job %s, profile %s, ingest path %s', (glue, profile, ingestPath) => {
    const { app, stack } = coffeeIot(glue, profile, ingestPath);
    const choices = { glueStreamingJob: glue, profile, ingestPath };

    it('synthesizes with every finding acknowledged', () => {
      expect(unacknowledgedFindings(stack)).toEqual([]);
      expect(() => app.synth()).not.toThrow();
    });

    it('has no acknowledgement that matches no finding on its construct', () => {
      const findings = rawNagFindings(stack);
      expect(unusedAcknowledgements(stack, stackAcknowledgements(stack, choices), findings)).toEqual([]);
    });
  });

  it('acknowledges the VPC Lambda policy on the database Lambdas in the fleet profile only', () => {
    const vpcPolicy = (profile: DeploymentProfile) =>
      stackAcknowledgements(coffeeIot(false, profile).stack, {
        glueStreamingJob: false,
        profile,
        ingestPath: 'direct',
      })
        .filter(({ id }) => id.includes('AWSLambdaVPCAccessExecutionRole'))
        .map(({ path }) => path)
        .sort();
    expect(vpcPolicy('small')).toEqual([]);
    expect(vpcPolicy('fleet')).toEqual([
      'Analytics/DevicesSnapshot/Function/ServiceRole',
      'Dashboard/ApiFunction/Function/ServiceRole',
      'Database/MigrateSchema/Function/ServiceRole',
      'FleetProvisioning/PreProvisioningHook/Function/ServiceRole',
      'Photos/Analyzer/Function/ServiceRole',
    ]);
  });

  it('acknowledges nothing on the app or the stack: each finding on its own construct', () => {
    const { app, stack } = coffeeIot();
    // (aws-cdk-lib's Vpc acknowledges a CloudFormation-Validate warning of its own on the stack.)
    const nagIds = (scope: IConstruct) =>
      scope.node.metadata
        .filter((entry) => entry.type === ACKNOWLEDGED_RULES)
        .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
        .filter((id) => /AwsSolutions-|CoffeeIot-/.test(id));
    expect(nagIds(app)).toEqual([]);
    expect(nagIds(stack)).toEqual([]);
    for (const { path } of stackAcknowledgements(stack, {
      glueStreamingJob: false,
      profile: 'small',
      ingestPath: 'direct',
    }))
      expect(path).not.toBe('');
  });

  // The photo Lambda already has `*` accepted for rekognition:DetectFaces; the dashboard API has
  // no `*` at all. Either way a new action on `*` is a finding nobody accepted.
  const PHOTO_ROLE = 'Photos/Analyzer/Function/ServiceRole';
  const API_ROLE = 'Dashboard/ApiFunction/Function/ServiceRole';
  it.each([
    [PHOTO_ROLE, 's3:GetObject', ['CoffeeIot-StarResource[Action::s3:GetObject]']],
    [PHOTO_ROLE, 'kinesis:PutRecord', ['CoffeeIot-StarResource[Action::kinesis:PutRecord]']],
    [
      API_ROLE,
      's3:GetObject',
      ['AwsSolutions-IAM5[Resource::*]', 'CoffeeIot-StarResource[Action::s3:GetObject]'],
    ],
    [
      API_ROLE,
      'kinesis:PutRecord',
      ['AwsSolutions-IAM5[Resource::*]', 'CoffeeIot-StarResource[Action::kinesis:PutRecord]'],
    ],
  ])('fails the synth when %s is given %s on Resource "*"', (rolePath, action, expected) => {
    const { app, stack } = coffeeIot();
    roleAt(stack, rolePath).addToPrincipalPolicy(
      new PolicyStatement({ actions: [action], resources: ['*'] }),
    );

    const policy = `CoffeeIot/${rolePath}/DefaultPolicy/Resource`;
    expect(unacknowledgedFindings(stack)).toEqual(
      expect.arrayContaining(expected.map((id) => ({ id, path: policy }))),
    );
    expect(unacknowledgedFindings(stack)).toHaveLength(expected.length);
    const failure = (() => {
      try {
        app.synth();
      } catch (error) {
        return String(error);
      }
      return 'synthesized';
    })();
    expect(failure).toContain(policy);
    for (const id of expected) expect(failure).toContain(`Acknowledge with '${id.split('-')[0]}::${id}'`);
  });

  it('reports an acknowledgement that accepts nothing on its construct', () => {
    const { stack } = coffeeIot();
    const stale = { path: 'Dashboard/Users', id: 'AwsSolutions-COG3', reason: 'no such finding here' };
    const misplaced = {
      path: 'Dashboard/Users',
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'the finding exists, on another construct',
    };
    const acknowledgements = [
      ...stackAcknowledgements(stack, { glueStreamingJob: false, profile: 'small', ingestPath: 'direct' }),
      stale,
      misplaced,
    ];
    expect(unusedAcknowledgements(stack, acknowledgements, rawNagFindings(stack))).toEqual([
      stale,
      misplaced,
    ]);
  });

  it('refuses an acknowledgement on a construct the stack does not have', () => {
    const stack = new Stack(new App(), 'Small');
    new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    const missing = { path: 'Rol', id: 'AwsSolutions-IAM5[Resource::*]', reason: 'typo' };
    expect(() => applyAcknowledgements(stack, [missing])).toThrow(AcknowledgedConstructNotFoundError);
    expect(() => applyAcknowledgements(stack, [missing])).toThrow(/Small\/Rol, which does not exist/);
    expect(() => applyAcknowledgements(stack, [{ ...missing, path: 'Role' }])).not.toThrow();
  });
});
