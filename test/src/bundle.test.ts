import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

  it('contains the agent, its package.json, the unit and its launcher, the installer, an example config and demo photos', async () => {
    for (const file of [
      'coffee-iot-agent.mjs',
      'package.json',
      'coffee-iot-agent.service',
      'coffee-iot-launch.sh',
      'install-pi.sh',
      'agent.example.json',
      'assets/demo-photos/PROVENANCE.md',
    ]) {
      expect((await stat(join(out, file))).isFile(), file).toBe(true);
    }
    expect((await stat(join(out, 'install-pi.sh'))).mode & 0o111).not.toBe(0);
    expect((await stat(join(out, 'coffee-iot-launch.sh'))).mode & 0o111).not.toBe(0);
  });

  it('lists the native and Pi-only modules at the versions device/package.json pins', async () => {
    const device = JSON.parse(await readFile(join(ROOT, 'device/package.json'), 'utf8'));
    const manifest = JSON.parse(await readFile(join(out, 'package.json'), 'utf8'));
    expect(manifest.type).toBe('module');
    expect(manifest.version).toBe(device.version);
    // Optional: aws-crt has no 32-bit ARM binary, node-sense-hat needs the HAT, onoff (epoll)
    // and sense-hat-led (ioctl) compile Linux-only addons.
    expect(manifest.optionalDependencies).toEqual({
      'aws-iot-device-sdk-v2':
        device.dependencies['aws-iot-device-sdk-v2'] ?? device.optionalDependencies['aws-iot-device-sdk-v2'],
      'node-sense-hat': device.optionalDependencies['node-sense-hat'],
      onoff: device.optionalDependencies.onoff,
      'sense-hat-led': device.optionalDependencies['sense-hat-led'],
    });
    expect(manifest.optionalDependencies.onoff).toMatch(/^\^6\./);
    expect(manifest.optionalDependencies['sense-hat-led']).toMatch(/^\^1\.2/);
    for (const [name, version] of Object.entries(manifest.dependencies as Record<string, string>)) {
      expect(device.dependencies[name], name).toBe(version);
    }
    expect(Object.keys(manifest.dependencies)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(onoff|sense-hat-led|node-sense-hat)$/)]),
    );
    expect(manifest.overrides).toEqual({ 'node-gyp': expect.stringMatching(/^\^11\./) });
    // On the Pi the GPIO (epoll) and LED (ioctl) addons must build; the laptop tree denies them.
    expect(manifest.allowScripts).toEqual({
      'better-sqlite3': true,
      'aws-crt': true,
      nodeimu: true,
      epoll: true,
      ioctl: true,
    });
  });

  it('keeps the Pi-only driver modules external', async () => {
    const agent = await readFile(join(out, 'coffee-iot-agent.mjs'), 'utf8');
    // Bundled, onoff would drag in epoll's compiled addon path from this machine.
    expect(agent).not.toMatch(/node_modules\/(onoff|epoll|sense-hat-led|ioctl)\//);
  });

  it('carries the demo photos and their provenance where the mock camera looks', async () => {
    // defaultDemoPhotoDir() (src/camera/mock-camera.ts) tries ./assets/demo-photos/ next to the
    // bundled entry file.
    const source = join(ROOT, 'device/assets/demo-photos');
    const bundled = join(out, 'assets/demo-photos');
    const photos = (await readdir(source)).filter((name) => name.endsWith('.png')).sort();
    expect(photos.length).toBeGreaterThan(0);
    expect((await readdir(bundled)).sort()).toEqual([...photos, 'PROVENANCE.md'].sort());
    for (const name of [...photos, 'PROVENANCE.md']) {
      const [copy, original] = await Promise.all([
        readFile(join(bundled, name)),
        readFile(join(source, name)),
      ]);
      expect(copy.equals(original), name).toBe(true);
    }
    const mockCamera = await readFile(join(ROOT, 'device/src/camera/mock-camera.ts'), 'utf8');
    expect(mockCamera).toContain("'./assets/demo-photos/'");
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
