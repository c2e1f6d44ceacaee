import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** One entry of device/release/targets.json: what the release builds for an architecture. */
export interface ReleaseTarget {
  nodeArch: string;
  qemu?: string;
  sysroot?: string;
  nodes: { pkg: string; version: string; runtime?: boolean }[];
  awsCrt?: string;
}

export async function releaseTargets(): Promise<Record<string, ReleaseTarget>> {
  return JSON.parse(await readFile(join(ROOT, 'device/release/targets.json'), 'utf8'));
}

/** Where `npm run release` leaves the tarball for `arch`. */
export async function releaseTarball(arch: string): Promise<string> {
  const { version } = JSON.parse(await readFile(join(ROOT, 'device/package.json'), 'utf8')) as {
    version: string;
  };
  return join(ROOT, 'device/dist-release', `coffee-iot-agent-${version}-linux-${arch}.tar.gz`);
}

/** Same rule as device/scripts/release/node-dist.mjs: where the registry's Node packages are kept. */
function cacheDir(): string {
  return (
    process.env.PI_RELEASE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coffee-iot')
  );
}

/** bin/node of the registry package the release fetched for running tests on `target`. */
export function runtimeNode(target: ReleaseTarget): { path: string; version: string } {
  const node = target.nodes.find((n) => n.runtime);
  if (!node) throw new Error(`device/release/targets.json names no runtime Node for ${target.nodeArch}`);
  return {
    path: join(cacheDir(), 'npm-node', `${node.pkg}-${node.version}`, 'package', 'bin', 'node'),
    version: node.version,
  };
}

function onPath(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `command -v ${command}`], (error) => resolve(!error));
  });
}

/** Why the emulated test of `arch` cannot run here, or undefined when it can. */
export async function whyNotEmulated(arch: string): Promise<string | undefined> {
  if (process.env.SKIP_ARM_SMOKE === '1') return 'SKIP_ARM_SMOKE=1';
  const target = (await releaseTargets())[arch];
  if (!target?.qemu || !target.sysroot) return `no emulator configured for ${arch}`;
  if (!(await onPath(target.qemu))) return `${target.qemu} not installed (Debian qemu-user-static)`;
  if (!existsSync(join(target.sysroot, 'lib', 'libstdc++.so.6'))) {
    return `no ${target.sysroot} target libraries (Debian g++-${target.sysroot.split('/').pop()})`;
  }
  const tarball = await releaseTarball(arch);
  if (!existsSync(tarball)) return `${tarball} not built (npm run release -- --arch ${arch})`;
  const node = runtimeNode(target);
  if (!existsSync(node.path))
    return `${node.path} not fetched (npm run release -- --arch ${arch} fetches it)`;
  return undefined;
}

/**
 * A `node` and a `uname` for the installer and the agent: node runs the registry's ARM build
 * under qemu-user with the cross toolchain's libraries as its root (-L; binfmt_misc is not
 * needed), uname reports the emulated machine.
 */
export async function writeEmulatedCommands(dir: string, arch: string): Promise<string> {
  const target = (await releaseTargets())[arch];
  if (!target?.qemu || !target.sysroot) throw new Error(`no emulator configured for ${arch}`);
  await mkdir(dir, { recursive: true });
  const machine = arch === 'arm64' ? 'aarch64' : arch;
  const scripts = {
    node: `exec ${target.qemu} -L ${target.sysroot} '${runtimeNode(target).path}' "$@"`,
    uname: `if [ "$1" = -m ]; then echo ${machine}; else exec /bin/uname "$@"; fi`,
  };
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  }
  return join(dir, 'node');
}

/** Resident set size of a live process in KiB (qemu-user's, guest and emulator together). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
