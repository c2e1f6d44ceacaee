// Node.js binaries and headers from the npm registry's node-linux-* packages, fetched once
// with `npm pack` into a cache directory (CI keeps it between runs) and unpacked there.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export class NodeDistError extends Error {
  name = 'NodeDistError';
}

/**
 * PI_RELEASE_CACHE, else $XDG_CACHE_HOME/coffee-iot, else ~/.cache/coffee-iot. Not COFFEE_IOT_*:
 * the agent refuses any COFFEE_IOT_ variable that is not one of its config keys.
 */
export function cacheDir() {
  return (
    process.env.PI_RELEASE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coffee-iot')
  );
}

/**
 * The unpacked package directory (holding bin/node and include/node) of `pkg@version`,
 * fetching it on first use.
 */
export async function nodeDist({ pkg, version }) {
  const root = join(cacheDir(), 'npm-node');
  const dir = join(root, `${pkg}-${version}`, 'package');
  if (existsSync(join(dir, 'include', 'node', 'node_version.h'))) return dir;
  await mkdir(root, { recursive: true });
  const tarball = join(root, `${pkg}-${version}.tgz`);
  if (!existsSync(tarball)) {
    try {
      await exec('npm', ['pack', `${pkg}@${version}`, '--pack-destination', root], { cwd: root });
    } catch (error) {
      throw new NodeDistError(
        `could not fetch ${pkg}@${version} from the npm registry (npm pack): ${error.stderr || error.message}`,
        { cause: error },
      );
    }
  }
  // Unpack beside, then rename: an interrupted unpack never looks complete.
  const partial = join(root, `${pkg}-${version}.partial`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial);
  await exec('tar', ['-xzf', tarball, '-C', partial]);
  await rm(join(root, `${pkg}-${version}`), { recursive: true, force: true });
  await rename(partial, join(root, `${pkg}-${version}`));
  // The unpacked copy is what is used; the tarball would only double the cache (~50 MB each).
  await rm(tarball, { force: true });
  return dir;
}

/** NODE_MODULE_VERSION from the headers: the ABI a native module built against them needs. */
export async function moduleVersion(distDir) {
  const header = await readFile(join(distDir, 'include', 'node', 'node_version.h'), 'utf8');
  const match = /#define NODE_MODULE_VERSION (\d+)/.exec(header);
  if (!match) throw new NodeDistError(`no NODE_MODULE_VERSION in ${distDir}/include/node/node_version.h`);
  return Number(match[1]);
}
