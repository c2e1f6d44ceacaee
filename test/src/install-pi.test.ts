import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const DEVICE = fileURLToPath(new URL('../../device/', import.meta.url));
const INSTALLER = join(DEVICE, 'scripts', 'install-pi.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function which(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then((result) => result.code === 0);
}

// A development machine with the camera programs installed cannot show the "missing" note.
const hostHasCamera = (await which('rpicam-still')) || (await which('libcamera-still'));

describe('install-pi.sh', () => {
  let dir: string;
  let bundle: string;
  let root: string;
  let fakeBin: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-install-'));
    bundle = join(dir, 'bundle');
    root = join(dir, 'root');
    fakeBin = join(dir, 'bin');
    await mkdir(bundle);
    await mkdir(fakeBin);
    // The layout `npm run bundle` produces, with a stand-in for the bundled agent.
    await copyFile(INSTALLER, join(bundle, 'install-pi.sh'));
    await copyFile(
      join(DEVICE, 'systemd', 'coffee-iot-agent.service'),
      join(bundle, 'coffee-iot-agent.service'),
    );
    await copyFile(join(DEVICE, 'scripts', 'agent.example.json'), join(bundle, 'agent.example.json'));
    await writeFile(join(bundle, 'coffee-iot-agent.mjs'), '// agent\n');
    await mkdir(join(bundle, 'assets/demo-photos'), { recursive: true });
    await writeFile(join(bundle, 'assets/demo-photos/coffee.png'), 'png stand-in\n');
    await writeFile(join(bundle, 'assets/demo-photos/PROVENANCE.md'), '# Provenance\n');
    await writeFile(
      join(bundle, 'package.json'),
      JSON.stringify({
        name: 'coffee-iot-agent',
        version: '0.1.0',
        dependencies: { mqtt: '^5.16.0' },
        optionalDependencies: {
          'aws-iot-device-sdk-v2': '^1.28.0',
          'node-sense-hat': '^0.0.2',
          onoff: '^6.0.3',
          'sense-hat-led': '^1.2.0',
        },
      }),
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeCommand(name: string, script: string): Promise<void> {
    await writeFile(join(fakeBin, name), `#!/bin/sh\n${script}\n`);
    await chmod(join(fakeBin, name), 0o755);
  }

  function install(...args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${fakeBin}${delimiter}${process.env.PATH ?? ''}`,
    };
    delete env.DESTDIR;
    return run(
      'bash',
      [join(bundle, 'install-pi.sh'), '--destdir', root, '--skip-npm-install', ...args],
      env,
    );
  }

  it('parses (bash -n)', async () => {
    const result = await run('bash', ['-n', INSTALLER]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('is shellcheck-clean (.ci/run installs shellcheck)', async () => {
    const result = await run('shellcheck', [INSTALLER]);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  it('installs the agent, command, unit and example config under DESTDIR', async () => {
    const result = await install();
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent\n',
    );
    const wrapper = join(root, 'usr/local/bin/coffee-iot-agent');
    expect(await readFile(wrapper, 'utf8')).toContain(
      `exec '${process.execPath}' '/opt/coffee-iot/agent/coffee-iot-agent.mjs' "$@"`,
    );
    expect((await stat(wrapper)).mode & 0o777).toBe(0o755);
    const unit = await readFile(join(root, 'etc/systemd/system/coffee-iot-agent.service'), 'utf8');
    expect(unit).toContain(
      `ExecStart=${process.execPath} /opt/coffee-iot/agent/coffee-iot-agent.mjs --config /etc/coffee-iot/agent.json`,
    );
    expect(JSON.parse(await readFile(join(root, 'etc/coffee-iot/agent.json'), 'utf8')).thingName).toBe(
      'coffee-pi-01',
    );
    expect(result.stdout).toMatch(
      /skipped \(DESTDIR\): useradd --system .* coffee-iot|user coffee-iot exists/,
    );
    expect(result.stdout).toMatch(/systemctl enable --now coffee-iot-agent/);
  });

  it('adds the coffee-iot user to the hardware groups, input (joystick) included', async () => {
    const result = await install();
    expect(result.code).toBe(0);
    // printf %q escapes the commas: "i2c\,gpio\,video\,input".
    const groups = /usermod --append --groups (\S+) coffee-iot/.exec(result.stdout)?.[1];
    expect(groups?.replaceAll('\\', '').split(',').sort()).toEqual(['gpio', 'i2c', 'input', 'video']);
    const installer = await readFile(INSTALLER, 'utf8');
    expect(installer).toContain('readonly HARDWARE_GROUPS=(i2c gpio video input)');
  });

  it('installs the demo photos next to the agent, where the mock camera looks', async () => {
    const result = await install();
    expect(result.code).toBe(0);
    const photos = join(root, 'opt/coffee-iot/agent/assets/demo-photos');
    expect(await readFile(join(photos, 'coffee.png'), 'utf8')).toBe('png stand-in\n');
    expect(await readFile(join(photos, 'PROVENANCE.md'), 'utf8')).toBe('# Provenance\n');
    expect((await stat(join(photos, 'coffee.png'))).mode & 0o777).toBe(0o644);
  });

  it('refuses a bundle without demo photos', async () => {
    await rm(join(bundle, 'assets/demo-photos/coffee.png'));
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('assets/demo-photos has no demo photos');
  });

  it('says how to install the camera programs and set the button pull-up', async () => {
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sudo apt install rpicam-apps      (Bookworm)');
    expect(result.stdout).toContain('sudo apt install libcamera-apps   (Bullseye)');
    expect(result.stdout).toContain('/boot/firmware/config.txt');
    expect(result.stdout).toContain('gpio=<pin>=ip,pu');
  });

  it('points out a missing camera program, and not a present one', async () => {
    if (!hostHasCamera) {
      const missing = await install();
      expect(missing.stdout).toMatch(/no camera program \(rpicam-still or libcamera-still\) found/);
    }
    await fakeCommand('rpicam-still', 'exit 0');
    const present = await install();
    expect(present.stdout).toContain('camera program found');
    expect(present.stdout).not.toMatch(/no camera program/);
  });

  it('never overwrites an existing agent.json', async () => {
    await mkdir(join(root, 'etc/coffee-iot'), { recursive: true });
    await writeFile(join(root, 'etc/coffee-iot/agent.json'), '{"thingName":"mine"}');
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('keeping the existing /etc/coffee-iot/agent.json');
    expect(await readFile(join(root, 'etc/coffee-iot/agent.json'), 'utf8')).toBe('{"thingName":"mine"}');
  });

  it('replaces a previous version of the agent', async () => {
    expect((await install()).code).toBe(0);
    await writeFile(join(bundle, 'coffee-iot-agent.mjs'), '// agent v2\n');
    expect((await install()).code).toBe(0);
    expect(await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent v2\n',
    );
  });

  it.each(['18.19.0', '21.7.3'])('refuses Node %s with a clear message', async (version) => {
    await fakeCommand('node', `if [ "$1" = -v ]; then echo v${version}; else echo ${version}; fi`);
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`needs Node.js 20 or 22+ (found v${version}`);
  });

  it('accepts Node 22', async () => {
    await fakeCommand('node', 'if [ "$1" = -v ]; then echo v22.11.0; else echo 22.11.0; fi');
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('using node v22.11.0');
  });

  it('on 32-bit ARM says MQTT.js will be used and leaves out aws-crt', async () => {
    await fakeCommand('uname', 'echo armv7l');
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/armv7l \(32-bit ARM\).*MQTT\.js transport/);
    const manifest = JSON.parse(await readFile(join(root, 'opt/coffee-iot/agent/package.json'), 'utf8'));
    expect(manifest.optionalDependencies).toEqual({
      'node-sense-hat': '^0.0.2',
      onoff: '^6.0.3',
      'sense-hat-led': '^1.2.0',
    });
  });

  it('refuses to run from a folder that is not a bundle', async () => {
    const result = await run('bash', [INSTALLER, '--destdir', root, '--skip-npm-install']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${dirname(INSTALLER)}/coffee-iot-agent.mjs is missing: run 'npm run bundle -w device'`,
    );
  });

  it('rejects unknown arguments', async () => {
    const result = await install('--frobnicate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown argument: --frobnicate');
  });
});
