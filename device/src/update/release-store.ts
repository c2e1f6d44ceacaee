import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** The release layout install-pi.sh creates and the launcher (coffee-iot-launch.sh) reads. */
export const DEFAULT_INSTALL_ROOT = '/opt/coffee-iot';
export const AGENT_ENTRY = 'coffee-iot-agent.mjs';

export class ReleaseInstallError extends Error {
  override readonly name = 'ReleaseInstallError';
}

/** What the host needs of a release: its architecture name and its Node's native-module ABI. */
export interface HostPlatform {
  /** The release's name for the userland: arm64, armv7l or x64. */
  readonly arch: string;
  readonly abi: string;
}

export function hostPlatform(): HostPlatform {
  const arch = process.arch === 'arm' ? 'armv7l' : process.arch;
  return { arch, abi: process.versions.modules };
}

interface ReleaseManifest {
  version?: unknown;
  arch?: unknown;
  node?: unknown;
}

/**
 * Versions side by side under `{root}/releases/{version}`, with `current` (what the unit runs)
 * and `previous` (what a rollback returns to) as relative symlinks replaced atomically:
 * a new link under a temporary name renamed over the old one, so a power cut leaves either
 * the old or the new target, never a missing link.
 */
export class ReleaseStore {
  readonly releasesDir: string;

  constructor(
    readonly root: string,
    private readonly platform: HostPlatform = hostPlatform(),
  ) {
    this.releasesDir = join(root, 'releases');
  }

  releaseDir(version: string): string {
    return join(this.releasesDir, version);
  }

  /** The version a link points at, or undefined when it is absent or not a release. */
  async linkedVersion(link: 'current' | 'previous'): Promise<string | undefined> {
    try {
      const target = await readlink(join(this.root, link));
      return basename(target);
    } catch {
      return undefined;
    }
  }

  /** Points `link` at `releases/{version}` atomically. */
  async point(link: 'current' | 'previous', version: string): Promise<void> {
    const path = join(this.root, link);
    const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    await symlink(join('releases', version), temporary);
    try {
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** `previous` → what is current now, then `current` → `version`. */
  async switchTo(version: string): Promise<void> {
    const current = await this.linkedVersion('current');
    if (current !== undefined && current !== version) await this.point('previous', current);
    await this.point('current', version);
  }

  /**
   * Removes releases neither `current` nor `previous` points at (failed or superseded ones), so
   * the card holds at most three. Returns the versions removed.
   */
  async prune(): Promise<string[]> {
    const keep = new Set([await this.linkedVersion('current'), await this.linkedVersion('previous')]);
    let entries: string[];
    try {
      entries = await readdir(this.releasesDir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const entry of entries) {
      if (keep.has(entry)) continue;
      await rm(join(this.releasesDir, entry), { recursive: true, force: true });
      removed.push(entry);
    }
    return removed;
  }

  /**
   * Unpacks a verified release tarball to `releases/{version}`: first into a temporary directory
   * beside it, checked (one top directory holding the agent and a release.json of this version,
   * architecture and Node ABI), then renamed into place. A bundle refused here leaves nothing.
   */
  async install(tarball: Uint8Array, version: string): Promise<string> {
    if ((await this.linkedVersion('current')) === version) {
      throw new ReleaseInstallError(`${version} is already the current release`);
    }
    await mkdir(this.releasesDir, { recursive: true });
    const staging = join(this.releasesDir, `.incoming-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      await untar(tarball, staging);
      const top = await this.checkUnpacked(staging, version);
      const target = this.releaseDir(version);
      await rm(target, { recursive: true, force: true });
      await rename(top, target);
      return target;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async checkUnpacked(staging: string, version: string): Promise<string> {
    const entries = await readdir(staging);
    const only = entries.length === 1 ? entries[0] : undefined;
    const top = only === undefined ? undefined : join(staging, only);
    if (top === undefined || !(await stat(top)).isDirectory()) {
      throw new ReleaseInstallError(
        `the bundle is not a coffee-iot release (expected one directory, found ${entries.length} entries)`,
      );
    }
    let manifest: ReleaseManifest;
    try {
      manifest = JSON.parse(await readFile(join(top, 'release.json'), 'utf8')) as ReleaseManifest;
      await stat(join(top, AGENT_ENTRY));
    } catch (error) {
      throw new ReleaseInstallError(
        `the bundle is not a coffee-iot release (no readable release.json and ${AGENT_ENTRY})`,
        { cause: error },
      );
    }
    if (manifest.version !== version) {
      throw new ReleaseInstallError(
        `the bundle is release ${String(manifest.version)}, but the job names ${version}`,
      );
    }
    if (manifest.arch !== this.platform.arch) {
      throw new ReleaseInstallError(
        `the bundle is the ${String(manifest.arch)} release; this device needs linux-${this.platform.arch}`,
      );
    }
    const abis = Array.isArray(manifest.node)
      ? manifest.node.map((node: { abi?: unknown }) => String(node?.abi))
      : [];
    if (!abis.includes(this.platform.abi)) {
      throw new ReleaseInstallError(
        `the bundle's native modules are built for Node ABI ${abis.join(', ') || 'none'}; this device's Node is ABI ${this.platform.abi}`,
      );
    }
    return top;
  }
}

/** `tar -xz` from memory (Node has no tar reader; every supported OS has tar). */
function untar(bytes: Uint8Array, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-xzf', '-', '-C', into, '--no-same-owner'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => reject(new ReleaseInstallError('tar could not be run', { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new ReleaseInstallError(
            `the bundle could not be unpacked (tar: ${stderr.trim() || `exit ${code}`})`,
          ),
        );
    });
    // An EPIPE when tar exits early is reported through 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(bytes);
  });
}
