import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const INFRA_DIR = join(import.meta.dirname, '../../../infra');

/** `npx cdk synth` (infra's own pinned CLI) as an operator runs it, offline: no credentials, no lookups, no notices. */
function cdkSynth(outDir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    join(INFRA_DIR, 'node_modules/.bin/cdk'),
    ['synth', '--quiet', '--no-notices', '--no-version-reporting', '--output', outDir],
    {
      cwd: INFRA_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        // Nothing may leave the machine: no instance metadata, no version check.
        AWS_EC2_METADATA_DISABLED: 'true',
        CDK_DISABLE_VERSION_CHECK: '1',
        AWS_REGION: 'eu-west-1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('cdk synth (the CLI, offline)', () => {
  let outDir: string;
  afterAll(() => (outDir ? rm(outDir, { recursive: true, force: true }) : undefined));

  it('synthesizes the CoffeeIot stack with the AWS Solutions checks passing', async () => {
    outDir = await mkdtemp(join(tmpdir(), 'coffee-iot-cdk-out-'));
    const { code, output } = await cdkSynth(outDir);
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/ERROR .*\(AwsSolutions\)/);
    const template = JSON.parse(await readFile(join(outDir, 'CoffeeIot.template.json'), 'utf8')) as {
      Outputs: Record<string, unknown>;
    };
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['IotPolicyName', 'RoleAliasName', 'PhotoBucketName', 'DashboardUrl']),
    );
  }, 180_000);
});
