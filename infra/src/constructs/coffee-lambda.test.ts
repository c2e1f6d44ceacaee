import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { fixedPhysicalNames } from '../testing/physical-names.js';
import { CoffeeLambda, ESBUILD_TARGET, LAMBDA_RUNTIME, REPO_ROOT } from './coffee-lambda.js';

describe('CoffeeLambda', () => {
  const app = new App();
  const stack = new Stack(app, 'LambdaTest');
  new CoffeeLambda(stack, 'Photo', { handler: 'photo', description: 'photo pipeline' });
  const template = Template.fromStack(stack);

  it('runs on nodejs24.x, arm64, with JSON logs in a group that expires', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('lets CloudFormation name the function and its log group, and deletes the group with the stack', () => {
    expect(fixedPhysicalNames(template, 'Photo')).toEqual([]);
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('bundles for the Node.js the runtime runs, as the bundling script does', () => {
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
    expect(ESBUILD_TARGET).toBe('node24');
    const script = readFileSync(join(REPO_ROOT, 'cloud/scripts/bundle-lambdas.mjs'), 'utf8');
    expect(script).toContain(`target: '${ESBUILD_TARGET}'`);
    expect(script).not.toMatch(/node2[0-3]\b|nodejs2[0-3]\.x/);
    expect(script).toContain('keepNames: true');
  });

  it('keeps function names and parses no source map at init (0.3 s of CPU per cold start)', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(JSON.stringify(fn?.Properties.Environment ?? {})).not.toContain('enable-source-maps');
  });

  it('bundles the handler as ESM without SQLite', () => {
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const bundle = readFileSync(join(assembly.directory, assets[0] as string, 'index.mjs'), 'utf8');
    expect(bundle).toContain('createRequire');
    expect(bundle).not.toMatch(/better[-_]sqlite3\.node/);
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(assets.flatMap((asset) => readdirSync(join(assembly.directory, asset)))).not.toContain(
      'index.mjs.map',
    );
    // keepNames: the handler module's own function names are in the bundle.
    expect(bundle).toContain('"handlePhotoEvent"');
  });
});
