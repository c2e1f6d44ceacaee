import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
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
    // The host's own node may be older than the installer accepts; the tests say which they mean.
    await fakeNode('24.1.0', 'x64');
    // The layout `npm run bundle` produces, with a stand-in for the bundled agent.
    await copyFile(INSTALLER, join(bundle, 'install-pi.sh'));
    await copyFile(
      join(DEVICE, 'systemd', 'coffee-iot-agent.service'),
      join(bundle, 'coffee-iot-agent.service'),
    );
    await copyFile(join(DEVICE, 'scripts', 'agent.example.json'), join(bundle, 'agent.example.json'));
    await copyFile(join(DEVICE, 'scripts', 'coffee-iot-launch.sh'), join(bundle, 'coffee-iot-launch.sh'));
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

  /**
   * A node on PATH that reports `version`, `arch` and `abi` to the installer's version probe
   * and runs everything else (the native module checks) with the real node.
   */
  async function fakeNode(version: string, arch: string, abi = '137'): Promise<void> {
    await fakeCommand(
      'node',
      [
        'case "$2" in',
        `  *process.versions.node*) echo '${version} ${arch} ${abi}'; exit 0 ;;`,
        'esac',
        `exec '${process.execPath}' "$@"`,
      ].join('\n'),
    );
  }

  /** npm that really edits package.json (npm pkg) and otherwise runs `install` as given. */
  async function fakeNpm(install = 'echo "npm $*"'): Promise<void> {
    const npm = (await run('sh', ['-c', 'command -v npm'])).stdout.trim();
    await fakeCommand('npm', `if [ "$1" = pkg ]; then exec '${npm}' "$@"; fi\n${install}`);
  }

  function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${fakeBin}${delimiter}${process.env.PATH ?? ''}`,
      ...extra,
    };
    delete env.DESTDIR;
    return env;
  }

  function install(...args: string[]): Promise<Run> {
    return run(
      'bash',
      [join(bundle, 'install-pi.sh'), '--destdir', root, '--skip-npm-install', ...args],
      testEnv(),
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
      `exec '${join(fakeBin, 'node')}' '/opt/coffee-iot/current/coffee-iot-agent.mjs' "$@"`,
    );
    expect((await stat(wrapper)).mode & 0o777).toBe(0o755);
    const unit = await readFile(join(root, 'etc/systemd/system/coffee-iot-agent.service'), 'utf8');
    expect(unit).toContain(
      `ExecStart=/usr/local/lib/coffee-iot/coffee-iot-launch ${join(fakeBin, 'node')} --config /etc/coffee-iot/agent.json`,
    );
    const launcher = join(root, 'usr/local/lib/coffee-iot/coffee-iot-launch');
    expect(await readFile(launcher, 'utf8')).toBe(
      await readFile(join(DEVICE, 'scripts/coffee-iot-launch.sh'), 'utf8'),
    );
    expect((await stat(launcher)).mode & 0o777).toBe(0o755);
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
    expect(groups?.replaceAll('\\', '').split(',').sort()).toEqual([
      'gpio',
      'i2c',
      'input',
      'systemd-journal',
      'video',
    ]);
    const installer = await readFile(INSTALLER, 'utf8');
    expect(installer).toContain('readonly HARDWARE_GROUPS=(i2c gpio video input systemd-journal)');
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

  it('installs side by side: releases/VERSION, current and agent links, chowned to the agent user', async () => {
    const result = await install();
    expect(result.code).toBe(0);
    expect(await readFile(join(root, 'opt/coffee-iot/releases/0.1.0/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent\n',
    );
    expect(await readlink(join(root, 'opt/coffee-iot/current'))).toBe('releases/0.1.0');
    expect(await readlink(join(root, 'opt/coffee-iot/agent'))).toBe('current');
    expect(existsSync(join(root, 'opt/coffee-iot/previous'))).toBe(false);
    expect(result.stdout).toMatch(/skipped \(DESTDIR\): chown -R coffee-iot:coffee-iot \/opt\/coffee-iot/);
    expect(await readdir(join(root, 'opt/coffee-iot'))).not.toContainEqual(expect.stringMatching(/tmp/));
  });

  it('keeps the version it replaces as previous, prunes older ones and clears a pending update', async () => {
    const release = (version: string) =>
      writeFile(
        join(bundle, 'package.json'),
        JSON.stringify({ name: 'coffee-iot-agent', version, dependencies: {}, optionalDependencies: {} }),
      );
    for (const version of ['1.0.0', '1.1.0']) {
      await release(version);
      expect((await install()).code).toBe(0);
    }
    await mkdir(join(root, 'opt/coffee-iot/update-state'));
    await writeFile(join(root, 'opt/coffee-iot/update-state/pending'), 'version=1.1.0\nprevious=1.0.0\n');
    await release('1.2.0');
    const result = await install();
    expect(result.code).toBe(0);
    expect(await readlink(join(root, 'opt/coffee-iot/current'))).toBe('releases/1.2.0');
    expect(await readlink(join(root, 'opt/coffee-iot/previous'))).toBe('releases/1.1.0');
    expect((await readdir(join(root, 'opt/coffee-iot/releases'))).sort()).toEqual(['1.1.0', '1.2.0']);
    expect(result.stdout).toContain('removing the old release 1.0.0');
    expect(existsSync(join(root, 'opt/coffee-iot/update-state/pending'))).toBe(false);
  });

  it('turns an install from before side-by-side releases into the previous release', async () => {
    await mkdir(join(root, 'opt/coffee-iot/agent'), { recursive: true });
    await writeFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), '// agent 0.0.9\n');
    await writeFile(
      join(root, 'opt/coffee-iot/agent/package.json'),
      JSON.stringify({ name: 'coffee-iot-agent', version: '0.0.9' }),
    );
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('keeping the earlier install (0.0.9) as the previous release');
    expect(await readlink(join(root, 'opt/coffee-iot/previous'))).toBe('releases/0.0.9');
    expect(await readFile(join(root, 'opt/coffee-iot/releases/0.0.9/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent 0.0.9\n',
    );
    expect(await readlink(join(root, 'opt/coffee-iot/agent'))).toBe('current');
    expect(await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent\n',
    );
  });

  it('replaces a previous version of the agent', async () => {
    expect((await install()).code).toBe(0);
    await writeFile(join(bundle, 'coffee-iot-agent.mjs'), '// agent v2\n');
    expect((await install()).code).toBe(0);
    expect(await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent v2\n',
    );
  });

  it.each(['18.19.0', '20.11.0', '21.7.3'])(
    'refuses Node %s on x86_64 with a clear message',
    async (version) => {
      await fakeNode(version, 'x64');
      const result = await install();
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`needs Node.js 22 or newer (found v${version}`);
      expect(existsSync(root)).toBe(false);
    },
  );

  it('refuses Node 20 on arm64 (end-of-life; only 32-bit ARM still accepts it)', async () => {
    await fakeCommand('uname', 'echo aarch64');
    await fakeNode('20.11.0', 'arm64');
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs Node.js 22 or newer (found v20.11.0');
  });

  it('accepts Node 20 on armv7l with an end-of-life warning', async () => {
    await fakeCommand('uname', 'echo armv7l');
    await fakeNode('20.11.0', 'arm');
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: Node\.js 20 is end-of-life/);
    expect(result.stdout).toContain('using node v20.11.0 (armv7l)');
  });

  it('accepts Node 22', async () => {
    await fakeNode('22.11.0', 'x64');
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('using node v22.11.0');
    expect(result.stderr).not.toMatch(/end-of-life/);
  });

  it('refuses an ARMv6 board (Pi 1, Zero) before touching anything, saying what works instead', async () => {
    await fakeCommand('uname', 'echo armv6l');
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no Node.js 20 or newer exists for armv6l');
    expect(result.stderr).toContain('Use a Raspberry Pi 3, 4, 5 or Zero 2 W');
    expect(result.stdout).not.toContain('installed');
    expect(existsSync(root)).toBe(false);
  });

  it('on 32-bit ARM says MQTT.js will be used, leaves out aws-crt and never names its SDK', async () => {
    await fakeCommand('uname', 'echo armv7l');
    await fakeNode('22.11.0', 'arm');
    await fakeNpm();
    const result = await run('bash', [join(bundle, 'install-pi.sh'), '--destdir', root], testEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/armv7l with a 32-bit ARM Node\.js: the agent uses the MQTT\.js transport/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('aws-iot-device-sdk-v2');
    expect(result.stdout).toContain('installing runtime dependencies (better-sqlite3,');
    const manifest = JSON.parse(await readFile(join(root, 'opt/coffee-iot/agent/package.json'), 'utf8'));
    expect(manifest.optionalDependencies).toEqual({
      'node-sense-hat': '^0.0.2',
      onoff: '^6.0.3',
      'sense-hat-led': '^1.2.0',
    });
  });

  it('on a 64-bit kernel with a 32-bit Node (32-bit Raspberry Pi OS on a Pi 4) goes by Node', async () => {
    await fakeCommand('uname', 'echo aarch64');
    await fakeNode('22.11.0', 'arm');
    const result = await install();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('using node v22.11.0 (armv7l)');
    expect(result.stdout).toMatch(/MQTT\.js transport/);
  });

  it('on arm64 says aws-crt will be used', async () => {
    await fakeCommand('uname', 'echo aarch64');
    await fakeNode('24.1.0', 'arm64');
    await fakeNpm();
    const result = await run('bash', [join(bundle, 'install-pi.sh'), '--destdir', root], testEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the agent uses the aws-crt transport (aws-iot-device-sdk-v2)');
    expect(result.stdout).toMatch(/installing runtime dependencies \(.*aws-iot-device-sdk-v2\)/);
  });

  it('says npm install failed, leaves no agent.new behind and never says installed', async () => {
    await fakeNode('24.1.0', 'x64');
    await fakeNpm('exit 1');
    const result = await run('bash', [join(bundle, 'install-pi.sh'), '--destdir', root], testEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm install failed');
    expect(result.stdout).not.toMatch(/installed\./);
    expect(existsSync(join(root, 'opt/coffee-iot/releases/.install-0.1.0'))).toBe(false);
  });

  it('after npm install, names a native module that does not load and keeps the previous version', async () => {
    await fakeNode('24.1.0', 'x64');
    expect((await install()).code).toBe(0);
    // An npm install that "succeeds" but leaves epoll unbuilt, as on a Pi without a compiler.
    await fakeNpm(
      [
        'prefix=$3',
        'mkdir -p "$prefix/node_modules/epoll"',
        `echo "throw new Error('Could not locate the bindings file: epoll.node')" >"$prefix/node_modules/epoll/index.js"`,
      ].join('\n'),
    );
    await writeFile(join(bundle, 'coffee-iot-agent.mjs'), '// agent v2\n');
    const result = await run('bash', [join(bundle, 'install-pi.sh'), '--destdir', root], testEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'native module epoll does not load: the coffee button (onoff, GPIO) cannot work',
    );
    expect(result.stderr).toContain('Could not locate the bindings file');
    expect(result.stderr).toContain('Fix: install from a release tarball (--from)');
    expect(result.stdout).not.toContain('installed.');
    expect(existsSync(join(root, 'opt/coffee-iot/releases/.install-0.1.0'))).toBe(false);
    expect(await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8')).toBe(
      '// agent\n',
    );
  });

  it('refuses to run from a folder that is not a bundle', async () => {
    await fakeNode('24.1.0', 'x64');
    const result = await run('bash', [INSTALLER, '--destdir', root, '--skip-npm-install'], testEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dirname(INSTALLER)}/coffee-iot-agent.mjs is missing: pass --from`);
  });

  it('rejects unknown arguments', async () => {
    const result = await install('--frobnicate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown argument: --frobnicate');
  });

  describe('--from a release tarball', () => {
    let tmp: string;

    beforeEach(async () => {
      tmp = join(dir, 'tmp');
      await mkdir(tmp);
      await fakeNode('24.1.0', 'x64', '137');
    });

    /** A release like `npm run release` makes, with stand-in native modules that load (or throw). */
    async function makeRelease(
      options: { arch?: string; abi?: number; broken?: string; tamper?: (top: string) => Promise<void> } = {},
    ): Promise<string> {
      const name = `coffee-iot-agent-0.1.0-linux-${options.arch ?? 'x64'}`;
      const top = join(dir, 'release', name);
      await cp(bundle, top, { recursive: true });
      for (const module of ['epoll', 'nodeimu']) {
        await mkdir(join(top, 'node_modules', module), { recursive: true });
        await writeFile(
          join(top, 'node_modules', module, 'index.js'),
          module === options.broken
            ? `throw new Error('${module}.node: wrong ELF class: ELFCLASS32');\n`
            : 'module.exports = {};\n',
        );
      }
      await writeFile(
        join(top, 'release.json'),
        JSON.stringify({
          version: '0.1.0',
          arch: options.arch ?? 'x64',
          node: [{ version: '24.1.0', abi: options.abi ?? 137 }],
          nativeModules: [{ package: 'epoll' }, { package: 'nodeimu' }],
        }),
      );
      const files = (await readdir(top, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => relative(top, join(entry.parentPath, entry.name)))
        .sort();
      const sums = await Promise.all(
        files.map(
          async (file) =>
            `${createHash('sha256')
              .update(await readFile(join(top, file)))
              .digest('hex')}  ${file}`,
        ),
      );
      await writeFile(join(top, 'SHA256SUMS'), `${sums.join('\n')}\n`);
      await options.tamper?.(top);
      const tarball = join(dir, `${name}.tar.gz`);
      const packed = await run('tar', ['-czf', tarball, '-C', join(dir, 'release'), name]);
      expect(packed.stderr).toBe('');
      await rm(join(dir, 'release'), { recursive: true });
      return tarball;
    }

    function installFrom(tarball: string, ...args: string[]): Promise<Run> {
      return run(
        'bash',
        [INSTALLER, '--from', tarball, '--destdir', root, ...args],
        testEnv({ TMPDIR: tmp }),
      );
    }

    it('installs the release, node_modules included, after loading its native modules', async () => {
      const result = await installFrom(await makeRelease());
      expect(result.stderr).not.toMatch(/error/);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/verifying \d+ files against SHA256SUMS/);
      expect(result.stdout).toContain('native module epoll loads');
      expect(result.stdout).toContain('native module nodeimu loads');
      expect(result.stdout).toContain('coffee-iot agent installed.');
      const app = join(root, 'opt/coffee-iot/agent');
      expect(await readFile(join(app, 'coffee-iot-agent.mjs'), 'utf8')).toBe('// agent\n');
      expect(existsSync(join(app, 'node_modules/epoll/index.js'))).toBe(true);
      expect(existsSync(join(app, 'SHA256SUMS'))).toBe(true);
      expect(await readdir(tmp)).toEqual([]);
    });

    it('refuses a release whose files do not match SHA256SUMS, changing nothing', async () => {
      expect((await installFrom(await makeRelease())).code).toBe(0);
      const before = await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8');
      const tarball = await makeRelease({
        tamper: (top) => writeFile(join(top, 'coffee-iot-agent.mjs'), '// tampered\n'),
      });
      const result = await installFrom(tarball);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('coffee-iot-agent.mjs: FAILED');
      expect(result.stderr).toContain('do not match its SHA256SUMS');
      expect(result.stdout).not.toContain('installed.');
      expect(await readFile(join(root, 'opt/coffee-iot/agent/coffee-iot-agent.mjs'), 'utf8')).toBe(before);
      expect(await readdir(tmp)).toEqual([]);
    });

    it('refuses a release with a file SHA256SUMS does not list', async () => {
      const tarball = await makeRelease({
        tamper: (top) => writeFile(join(top, 'node_modules/epoll/extra.js'), 'module.exports = 1;\n'),
      });
      const result = await installFrom(tarball);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('holds files SHA256SUMS does not list: node_modules/epoll/extra.js');
      expect(existsSync(root)).toBe(false);
    });

    it('names a native module that does not load, says what it breaks, and installs nothing', async () => {
      const result = await installFrom(await makeRelease({ broken: 'nodeimu' }));
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('native module epoll loads');
      expect(result.stderr).toContain(
        'native module nodeimu does not load: the Sense HAT sensors (node-sense-hat) cannot be read',
      );
      expect(result.stderr).toContain('wrong ELF class: ELFCLASS32');
      expect(result.stderr).toContain('Fix: use the release tarball for this machine');
      expect(result.stdout).not.toContain('installed.');
      expect(existsSync(root)).toBe(false);
      expect(await readdir(tmp)).toEqual([]);
    });

    it('refuses the tarball of another architecture', async () => {
      const result = await installFrom(await makeRelease({ arch: 'arm64' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'is the arm64 release, but this Node.js is x64: use coffee-iot-agent-VERSION-linux-x64.tar.gz',
      );
      expect(existsSync(root)).toBe(false);
    });

    it('refuses a Node.js whose ABI the release has no native modules for', async () => {
      await fakeNode('22.11.0', 'x64', '127');
      const result = await installFrom(await makeRelease({ abi: 137 }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'carries native modules for Node.js 24 (ABI 137) only; this is Node.js v22.11.0 (ABI 127)',
      );
      expect(existsSync(root)).toBe(false);
      expect(await readdir(tmp)).toEqual([]);
    });

    it('refuses a file that is not a release', async () => {
      const junk = join(dir, 'junk.tar.gz');
      await writeFile(junk, 'not a tarball');
      const result = await installFrom(junk);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('could not be unpacked');
      expect(await readdir(tmp)).toEqual([]);
    });
  });
});
