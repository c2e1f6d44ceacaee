import { DEFAULT_PROVISIONING_TEMPLATE, registerThingTopics } from '@coffee-iot/shared';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CoffeeIotStack } from './coffee-iot-stack.js';
import {
  defaultAuthDomainPrefix,
  provisioningTemplateName,
  readStackName,
  StackNameError,
  stackNameWords,
} from './stack-names.js';

describe('names made from the stack name', () => {
  it('is CoffeeIot unless coffee-iot:stackName names another, and refuses what CloudFormation would', () => {
    expect(readStackName(undefined)).toBe('CoffeeIot');
    expect(readStackName('CoffeeIotStaging')).toBe('CoffeeIotStaging');
    for (const bad of ['', '1Coffee', 'coffee_iot', 'Coffee Iot', 'a'.repeat(41), 42]) {
      expect(() => readStackName(bad)).toThrow(StackNameError);
    }
  });

  it('turns the stack name into lower-case words', () => {
    expect(stackNameWords('CoffeeIot', '-')).toBe('coffee-iot');
    expect(stackNameWords('CoffeeIotStaging', '_')).toBe('coffee_iot_staging');
    expect(stackNameWords('IOTLab-2', '-')).toBe('iot-lab-2');
  });

  it('gives two stacks of one account different Cognito domain prefixes, the first one unchanged', () => {
    expect(defaultAuthDomainPrefix('CoffeeIot', '123456789012')).toBe('coffee-iot-123456789012');
    const env = { account: '123456789012', region: 'eu-west-1' };
    const prefixes = ['CoffeeIot', 'CoffeeIotStaging'].map((name) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new CoffeeIotStack(app, name, { env });
      const [domain] = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolDomain'));
      return domain?.Properties.Domain as string;
    });
    expect(prefixes).toEqual(['coffee-iot-123456789012', 'coffee-iot-staging-123456789012']);
  });

  it('names the provisioning template after the stack, the default stack’s as devices expect, every one valid for IoT', () => {
    expect(provisioningTemplateName('CoffeeIot')).toBe(DEFAULT_PROVISIONING_TEMPLATE);
    expect(provisioningTemplateName('CoffeeIotStaging')).toBe('coffee-iot-staging-fleet');
    const longest = provisioningTemplateName(`A${'b'.repeat(28)}-${'C'.repeat(10)}`);
    expect(longest.length).toBeLessThanOrEqual(36);
    expect(longest.endsWith('-fleet')).toBe(true);
    expect(provisioningTemplateName(`Abcdefghijklmnopqrstuvwxyzabc-Defghij`)).not.toMatch(/--/);
    for (const name of ['CoffeeIot', 'x'.repeat(40), `A${'b'.repeat(28)}-${'C'.repeat(10)}`]) {
      expect(() => registerThingTopics(provisioningTemplateName(name))).not.toThrow();
    }
  });
});
