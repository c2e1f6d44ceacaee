import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { CoffeeIotStack } from './coffee-iot-stack.js';
import { DEPLOYMENT_PROFILES } from './stack-config.js';

/**
 * cfn-lint (AWS's CloudFormation linter: resource specs, allowed values, references, IAM shapes)
 * over every template the stack can be: each deployment profile, the Kinesis ingest stream in
 * front of Firehose, and the Glue streaming job in place of Firehose. Errors fail; warnings are printed. cfn-lint is a Python tool
 * (`pip install cfn-lint`); where it is not installed the test is skipped and says so.
 */
const CFN_LINT = 'cfn-lint';
/** The regions the templates are checked against: docs/deploy.md's supported regions, two of them. */
const LINT_REGIONS = ['us-east-1', 'eu-west-1'];

const version = spawnSync(CFN_LINT, ['--version'], { encoding: 'utf8' });
const cfnLintMissing = version.error !== undefined || version.status !== 0;
if (cfnLintMissing) {
  console.warn(
    `cfn-lint is not installed (${version.error?.message ?? version.stderr.trim()}): skipping the CloudFormation lint of the templates. Install it with \`pip install cfn-lint\`.`,
  );
}

/** Every variant of the template that deploys different resources, by name. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  ...Object.fromEntries(DEPLOYMENT_PROFILES.map((profile) => [profile, { 'coffee-iot:profile': profile }])),
  // With the default profile: the Kinesis ingest stream, with Firehose and with the Glue job.
  'ingest-stream': { 'coffee-iot:ingestPath': 'stream' },
  'glue-streaming-job': { 'coffee-iot:glueStreamingJob': true },
};

interface CfnLintMatch {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path?: readonly (string | number)[] };
}

/** The synthesized template of one variant, written to `dir`; no Lambda bundling (cfn-lint reads no code). */
function writeTemplate(dir: string, name: string, context: Record<string, unknown>): string {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = new CoffeeIotStack(app, 'CoffeeIot', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const template = app.synth().getStackByName(stack.stackName).template;
  const file = join(dir, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template, null, 1));
  return file;
}

function cfnLint(files: readonly string[]): CfnLintMatch[] {
  const run = spawnSync(CFN_LINT, ['--format', 'json', '--regions', ...LINT_REGIONS, '--', ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // Exit status is a bit mask (2 errors, 4 warnings, 8 informational); 1 means cfn-lint itself failed.
  if (run.error || run.status === 1 || run.stdout.trim() === '') {
    throw new Error(`cfn-lint did not run: ${run.error?.message ?? ''}${run.stderr}${run.stdout}`);
  }
  return JSON.parse(run.stdout) as CfnLintMatch[];
}

const describeLint = cfnLintMissing ? describe.skip : describe;

describeLint(`cfn-lint (${version.stdout?.trim()})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffee-iot-cfn-lint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports an invalid resource as an error (the check below can fail)', () => {
    const broken = join(dir, 'broken.template.json');
    writeFileSync(
      broken,
      JSON.stringify({
        Resources: { Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1, Shards: 2 } } },
      }),
    );
    const errors = cfnLint([broken]).filter((m) => m.Level === 'Error');
    expect(errors.map((m) => m.Location.Path?.join('/'))).toEqual(['Resources/Stream/Properties/Shards']);
  }, 60_000);

  it(`finds no error in the ${Object.keys(VARIANTS).join(', ')} templates`, () => {
    const started = performance.now();
    const files = Object.entries(VARIANTS).map(([name, context]) => writeTemplate(dir, name, context));
    const synthesized = performance.now();
    const matches = cfnLint(files);
    const show = (m: CfnLintMatch) =>
      `${m.Level} ${m.Rule.Id} ${m.Filename.slice(dir.length + 1)} ${(m.Location.Path ?? []).join('/')}: ${m.Message}`;
    // Warnings once per rule and resource path (the variants share most resources), with the files.
    const warnings = new Map<string, string[]>();
    for (const m of matches.filter((m) => m.Level !== 'Error')) {
      const key = `${m.Level} ${m.Rule.Id} ${(m.Location.Path ?? []).join('/')}: ${m.Message}`;
      warnings.set(key, [...(warnings.get(key) ?? []), m.Filename.slice(dir.length + 1)]);
    }
    console.warn(
      `cfn-lint: ${files.length} templates synthesized in ${Math.round(synthesized - started)} ms, linted in ${Math.round(performance.now() - synthesized)} ms; ${warnings.size} warnings${warnings.size > 0 ? ':' : ''}\n` +
        [...warnings].map(([warning, inFiles]) => `  ${warning} [${inFiles.join(', ')}]`).join('\n'),
    );
    expect(matches.filter((m) => m.Level === 'Error').map(show)).toEqual([]);
  }, 120_000);
});
