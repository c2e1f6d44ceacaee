import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, releaseTarball, releaseTargets } from './emulated-node.js';

const RELEASE = join(ROOT, 'device/scripts/release.mjs');
const LOCKFILE = join(ROOT, 'device/release/package-lock.json');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

interface Lock {
  packages: Record<string, { version?: string }>;
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

describe('the release lockfile (device/release/package-lock.json)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-release-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds exactly the versions package-lock.json gives the tests', async () => {
    const result = await run(process.execPath, [RELEASE, '--check-lock', '--out', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lock = await readJson<Lock>(LOCKFILE);
    const root = await readJson<Lock>(join(ROOT, 'package-lock.json'));
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '') continue;
      expect(root.packages[path]?.version ?? root.packages[`device/${path}`]?.version, path).toBe(
        entry.version,
      );
    }
    expect(Object.keys(lock.packages)).toEqual(
      expect.arrayContaining(['node_modules/better-sqlite3', 'node_modules/aws-crt', 'node_modules/nodeimu']),
    );
  });

  it('is refused when stale, with the command that fixes it', async () => {
    const lock = await readJson<Lock>(LOCKFILE);
    const mqtt = lock.packages['node_modules/mqtt'];
    if (!mqtt) throw new Error('the release lockfile has no mqtt');
    mqtt.version = '5.0.0';
    const stale = join(dir, 'stale-lock.json');
    await writeFile(stale, `${JSON.stringify(lock, null, 2)}\n`);
    const result = await run(process.execPath, [RELEASE, '--check-lock', '--lockfile', stale, '--out', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not match package-lock.json');
    expect(result.stderr).toContain('npm run release -- --update-lock');
  });
});

/** ELF class and e_machine of a file's header. */
async function elfOf(path: string): Promise<{ bits: number; machine: number; hardFloat: boolean }> {
  const handle = await open(path, 'r');
  const header = Buffer.alloc(52);
  try {
    await handle.read(header, 0, 52, 0);
  } finally {
    await handle.close();
  }
  expect(header.readUInt32BE(0), path).toBe(0x7f454c46);
  return {
    bits: header[4] === 2 ? 64 : 32,
    machine: header.readUInt16LE(18),
    hardFloat: (header.readUInt32LE(36) & 0x400) !== 0,
  };
}

const EXPECTED_ELF: Record<string, { bits: number; machine: number }> = {
  x64: { bits: 64, machine: 0x3e },
  arm64: { bits: 64, machine: 0xb7 },
  armv7l: { bits: 32, machine: 0x28 },
};

interface ReleaseJson {
  arch: string;
  nodeArch: string;
  version: string;
  node: { version: string; abi: number }[];
  transport: string;
  nativeModules: { package: string; path: string; abis?: number[]; binary?: string }[];
  commit: string;
  buildDate: string;
}

const built = await Promise.all(
  ['x64', 'arm64', 'armv7l'].map(async (arch) => ({ arch, tarball: await releaseTarball(arch) })),
);

describe.each(built)('release tarball for $arch', ({ arch, tarball }) => {
  const missing = existsSync(tarball) ? undefined : `${relative(ROOT, tarball)} not built: npm run release`;
  let dir: string;
  let top: string;
  let listing: string[];

  beforeAll(async () => {
    if (missing) return;
    dir = await mkdtemp(join(tmpdir(), `coffee-iot-release-${arch}-`));
    const verbose = await run('tar', ['-tvzf', tarball]);
    listing = verbose.stdout.trim().split('\n');
    expect((await run('tar', ['-xzf', tarball, '-C', dir])).code).toBe(0);
    top = join(dir, (await readdir(dir))[0] ?? '');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(missing !== undefined)(
    `is reproducible in form: sorted entries, root-owned, one mtime, no links${missing ? ` (skipped: ${missing})` : ''}`,
    () => {
      const names = listing.map((line) => line.split(/\s+/).slice(5).join(' '));
      // tar --sort=name orders each directory's entries, then descends into each in turn.
      const byParent = new Map<string, string[]>();
      for (const name of names) {
        const trimmed = name.replace(/\/$/, '');
        const parent = trimmed.slice(0, trimmed.lastIndexOf('/') + 1);
        byParent.set(parent, [...(byParent.get(parent) ?? []), trimmed.slice(parent.length)]);
      }
      for (const [parent, children] of byParent) {
        expect(children, parent).toEqual(
          [...children].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      }
      expect(listing.every((line) => line.split(/\s+/)[1] === '0/0')).toBe(true);
      expect(new Set(listing.map((line) => line.split(/\s+/).slice(3, 5).join(' '))).size).toBe(1);
      expect(listing.filter((line) => line.startsWith('l'))).toEqual([]);
    },
  );

  it.skipIf(missing !== undefined)('lists every file in SHA256SUMS, and every sum matches', async () => {
    const check = await run('sha256sum', ['--check', '--quiet', '--strict', 'SHA256SUMS'], top);
    expect(check.stdout + check.stderr).toBe('');
    expect(check.code).toBe(0);
    const listed = (await readFile(join(top, 'SHA256SUMS'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.slice(66))
      .sort();
    const files = (await readdir(top, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name !== 'SHA256SUMS')
      .map((entry) => relative(top, join(entry.parentPath, entry.name)))
      .sort();
    expect(listed).toEqual(files);
  });

  it.skipIf(missing !== undefined)(
    'says what it is in release.json and VERSION, and carries the agent, unit and installer',
    async () => {
      const release = await readJson<ReleaseJson>(join(top, 'release.json'));
      const target = (await releaseTargets())[arch];
      const device = await readJson<{ version: string }>(join(ROOT, 'device/package.json'));
      expect(release.arch).toBe(arch);
      expect(release.version).toBe(device.version);
      expect(await readFile(join(top, 'VERSION'), 'utf8')).toBe(`${device.version}\n`);
      expect(release.node.map((n) => n.version)).toEqual(target?.nodes.map((n) => n.version));
      expect(release.commit).toMatch(/^[0-9a-f]{40}(\+dirty)?$/);
      expect(Number.isNaN(Date.parse(release.buildDate))).toBe(false);
      expect(release.transport).toBe(arch === 'armv7l' ? 'mqtt.js' : 'aws-crt');
      for (const file of [
        'coffee-iot-agent.mjs',
        'coffee-iot-agent.service',
        'coffee-iot-launch.sh',
        'install-pi.sh',
        'agent.example.json',
      ]) {
        expect(existsSync(join(top, file)), file).toBe(true);
      }
      expect(await readFile(join(top, 'install-pi.sh'), 'utf8')).toBe(
        await readFile(join(ROOT, 'device/scripts/install-pi.sh'), 'utf8'),
      );
    },
  );

  it.skipIf(missing !== undefined)('installs node_modules at the committed lockfile versions', async () => {
    const committed = await readJson<Lock>(LOCKFILE);
    const shipped = await readJson<Lock>(join(top, 'package-lock.json'));
    for (const [path, entry] of Object.entries(shipped.packages)) {
      if (path === '') continue;
      expect(committed.packages[path]?.version, path).toBe(entry.version);
      const installed = await readJson<{ version: string }>(join(top, path, 'package.json'));
      expect(installed.version, path).toBe(entry.version);
    }
  });

  it.skipIf(missing !== undefined)(
    'has every native module built for its CPU and each Node ABI, and only its own aws-crt binary',
    async () => {
      const release = await readJson<ReleaseJson>(join(top, 'release.json'));
      const abis = release.node.map((n) => n.abi);
      const natives = release.nativeModules.map((m) => m.package).sort();
      expect(natives).toEqual(
        arch === 'armv7l'
          ? ['better-sqlite3', 'epoll', 'ioctl', 'nodeimu']
          : ['aws-crt', 'better-sqlite3', 'epoll', 'ioctl', 'nodeimu'],
      );
      for (const module of release.nativeModules.filter((m) => m.abis)) {
        expect(module.abis, module.package).toEqual(abis);
      }
      const nodeFiles = (await readdir(top, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile() && entry.name.endsWith('.node'))
        .map((entry) => relative(top, join(entry.parentPath, entry.name)))
        .sort();
      // One per module and ABI (aws-crt: one N-API binary), in per-ABI directories.
      const perAbi = nodeFiles.filter((file) => !file.startsWith('node_modules/aws-crt/'));
      expect(perAbi).toHaveLength(4 * abis.length);
      for (const abi of abis) {
        expect(
          perAbi.filter((file) => file.includes(`/node-v${abi}-linux-${release.nodeArch}/`)),
        ).toHaveLength(4);
      }
      for (const file of nodeFiles) {
        const elf = await elfOf(join(top, file));
        expect({ bits: elf.bits, machine: elf.machine }, file).toEqual(EXPECTED_ELF[arch]);
        if (arch === 'armv7l') expect(elf.hardFloat, file).toBe(true);
      }
      const crt = nodeFiles.filter((file) => file.startsWith('node_modules/aws-crt/'));
      expect(crt).toEqual(
        arch === 'armv7l'
          ? []
          : [`node_modules/aws-crt/dist/bin/linux-${release.nodeArch}-glibc/aws-crt-nodejs.node`],
      );
      expect(existsSync(join(top, 'node_modules/aws-iot-device-sdk-v2'))).toBe(arch !== 'armv7l');
      // No build trees or compiler sources shipped.
      expect(existsSync(join(top, 'node_modules/better-sqlite3/build'))).toBe(false);
      expect(existsSync(join(top, 'node_modules/better-sqlite3/deps'))).toBe(false);
    },
  );
});
