import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { hostPlatform } from '../update/release-store.js';

const run = promisify(execFile);

export interface FakeRelease {
  version: string;
  /** The agent entry file's text (coffee-iot-agent.mjs). */
  agent?: string;
  /** release.json overrides (arch, node, version) to build a release this host must refuse. */
  manifest?: Record<string, unknown>;
}

/**
 * A release tarball in the layout `npm run release` makes (one top directory with release.json,
 * package.json and coffee-iot-agent.mjs), small enough to build in a test: for this host's
 * architecture and Node ABI unless `manifest` says otherwise.
 */
export async function buildReleaseTarball(release: FakeRelease): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), 'coffee-iot-release-'));
  try {
    const name = `coffee-iot-agent-${release.version}-linux-${hostPlatform().arch}`;
    const top = join(work, name);
    await mkdir(top);
    await writeFile(
      join(top, 'coffee-iot-agent.mjs'),
      release.agent ?? `console.log('agent ${release.version}');\n`,
    );
    await writeFile(
      join(top, 'package.json'),
      JSON.stringify({ name: 'coffee-iot-agent', version: release.version }),
    );
    await writeFile(
      join(top, 'release.json'),
      JSON.stringify({
        version: release.version,
        arch: hostPlatform().arch,
        node: [{ version: process.versions.node, abi: Number(process.versions.modules) }],
        nativeModules: [],
        ...release.manifest,
      }),
    );
    await run('tar', ['-czf', join(work, 'release.tar.gz'), '-C', work, name]);
    return await readFile(join(work, 'release.tar.gz'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Every file (with its content) and link (with its target) under `root`, for "nothing changed". */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const key = relative(root, path);
    if (entry.isSymbolicLink()) out[key] = `-> ${await readlink(path)}`;
    else if (entry.isFile()) out[key] = await readFile(path, 'utf8');
    else out[key] = '<dir>';
  }
  return out;
}
