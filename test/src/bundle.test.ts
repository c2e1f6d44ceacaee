import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE_SCRIPT = join(ROOT, 'device/scripts/bundle.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function node(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('Pi bundle (npm run bundle -w device)', () => {
  let out: string;

  beforeAll(async () => {
    // Inside the repository so the external runtime modules resolve from its node_modules,
    // as they do from /opt/coffee-iot/agent/node_modules on a Pi.
    await mkdir(join(ROOT, '.local'), { recursive: true });
    out = await mkdtemp(join(ROOT, '.local', 'bundle-test-'));
    const result = await node([BUNDLE_SCRIPT, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('contains the agent, its package.json, the unit, the installer and an example config', async () => {
    for (const file of [
      'coffee-iot-agent.mjs',
      'package.json',
      'coffee-iot-agent.service',
      'install-pi.sh',
      'agent.example.json',
    ]) {
      expect((await stat(join(out, file))).isFile(), file).toBe(true);
    }
    expect((await stat(join(out, 'install-pi.sh'))).mode & 0o111).not.toBe(0);
  });

  it('lists the native and Pi-only modules at the versions device/package.json pins', async () => {
    const device = JSON.parse(await readFile(join(ROOT, 'device/package.json'), 'utf8'));
    const manifest = JSON.parse(await readFile(join(out, 'package.json'), 'utf8'));
    expect(manifest.type).toBe('module');
    expect(manifest.version).toBe(device.version);
    // Optional: aws-crt has no 32-bit ARM binary and node-sense-hat needs the HAT.
    expect(manifest.optionalDependencies).toEqual({
      'aws-iot-device-sdk-v2':
        device.dependencies['aws-iot-device-sdk-v2'] ?? device.optionalDependencies['aws-iot-device-sdk-v2'],
      'node-sense-hat': device.optionalDependencies['node-sense-hat'],
    });
    for (const [name, version] of Object.entries(manifest.dependencies as Record<string, string>)) {
      expect(device.dependencies[name], name).toBe(version);
    }
    expect(manifest.overrides).toEqual({ 'node-gyp': expect.stringMatching(/^\^11\./) });
    expect(manifest.allowScripts).toEqual({ 'better-sqlite3': true, 'aws-crt': true, nodeimu: true });
  });

  it('runs: prints help', async () => {
    const result = await node([join(out, 'coffee-iot-agent.mjs'), '--help']);
    expect(result.stdout).toContain('Usage: coffee-iot-agent');
    expect(result.code).toBe(0);
  });

  it('runs: rejects a bad configuration with exit code 2, naming the key', async () => {
    const config = join(out, 'bad.json');
    await writeFile(config, JSON.stringify({ thingName: 'pi', endpoint: 'localhost', colour: 'red' }));
    const result = await node([join(out, 'coffee-iot-agent.mjs'), '--config', config]);
    expect(result.stderr).toMatch(/colour: unknown key/);
    expect(result.stderr).toMatch(/cert: required but not set/);
    expect(result.code).toBe(2);
  });

  it('ships an example configuration that passes the schema', async () => {
    const result = await node([
      join(out, 'coffee-iot-agent.mjs'),
      'status',
      '--config',
      join(out, 'agent.example.json'),
      '--state-dir',
      out,
    ]);
    // status skips the PEM checks, so only schema problems would exit 2.
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
  });
});
