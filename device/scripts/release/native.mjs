// Compiles every native module of a release tree for its target CPU and each Node ABI it
// ships, with Debian's cross compilers and the registry's Node headers (node-gyp --nodedir):
// nothing on the Pi ever compiles, and nothing here downloads headers or prebuilt binaries.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, moduleVersion, nodeDist } from './node-dist.mjs';
import { ELF_MACHINE } from './targets.mjs';

const exec = promisify(execFile);

export class NativeBuildError extends Error {
  name = 'NativeBuildError';
}

/**
 * Every package with a binding.gyp the release knows how to ship. `layout: 'bindings'` puts
 * the addon where the `bindings` package looks for it per ABI
 * (lib/binding/node-v{ABI}-linux-{arch}/); nodeimu requires ./out/NodeIMU itself, so it gets a
 * small out/NodeIMU.js that picks the per-ABI file. `prune`: sources not needed at run time.
 * An unknown native package fails the build: it would otherwise ship without its binary.
 */
export const NATIVE_PACKAGES = {
  'better-sqlite3': { files: ['better_sqlite3.node'], layout: 'bindings', prune: ['deps', 'src'] },
  epoll: { files: ['epoll.node'], layout: 'bindings', prune: [] },
  ioctl: { files: ['ioctl.node'], layout: 'bindings', prune: [] },
  nodeimu: { files: ['NodeIMU.node'], layout: 'nodeimu', prune: [] },
};

const NODEIMU_SHIM = `// Added by the coffee-iot release build: the tarball carries NodeIMU built for each Node ABI
// it supports; load the one for the running Node.
module.exports = require(\`./node-v\${process.versions.modules}-\${process.platform}-\${process.arch}/NodeIMU.node\`);
`;

/** Directories (relative to `root`) of installed packages that compile an addon. */
export async function findNativePackages(root) {
  const found = [];
  const walk = async (modulesDir) => {
    if (!existsSync(modulesDir)) return;
    for (const name of (await readdir(modulesDir)).sort()) {
      if (name.startsWith('.')) continue;
      const dirs = name.startsWith('@')
        ? (await readdir(join(modulesDir, name))).map((sub) => join(modulesDir, name, sub))
        : [join(modulesDir, name)];
      for (const dir of dirs) {
        if (existsSync(join(dir, 'binding.gyp'))) found.push(relative(root, dir));
        await walk(join(dir, 'node_modules'));
      }
    }
  };
  await walk(join(root, 'node_modules'));
  return found;
}

/**
 * Checks a built addon is a shared object for `nodeArch` (ELF class and e_machine, and the
 * hard-float ABI on 32-bit ARM, which a Pi's armhf userland needs); returns a description.
 */
export async function checkElf(path, nodeArch) {
  const handle = await open(path, 'r');
  const header = Buffer.alloc(52);
  try {
    await handle.read(header, 0, 52, 0);
  } finally {
    await handle.close();
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new NativeBuildError(`${path} is not an ELF file`);
  const bits = header[4] === 2 ? 64 : 32;
  const machine = header.readUInt16LE(18);
  const wantBits = nodeArch === 'arm' ? 32 : 64;
  if (machine !== ELF_MACHINE[nodeArch] || bits !== wantBits) {
    throw new NativeBuildError(
      `${path} is ELF${bits} machine 0x${machine.toString(16)}, not the ${nodeArch} build it should be`,
    );
  }
  if (nodeArch === 'arm') {
    const flags = header.readUInt32LE(36);
    const EF_ARM_ABI_FLOAT_HARD = 0x400;
    if (!(flags & EF_ARM_ABI_FLOAT_HARD))
      throw new NativeBuildError(`${path} is not built for the hard-float ABI`);
  }
  return `ELF${bits} ${nodeArch}`;
}

function toolchain(target) {
  const prefix = target.cross ? `${target.cross}-` : '';
  return {
    CC: `${prefix}gcc`,
    CXX: `${prefix}g++`,
    AR: `${prefix}ar`,
    LINK: `${prefix}g++`,
    STRIP: `${prefix}strip`,
  };
}

async function compilerId(tools, target) {
  try {
    const { stdout } = await exec(tools.CXX, ['--version']);
    return stdout.split('\n')[0];
  } catch (error) {
    throw new NativeBuildError(
      `${tools.CXX} not found: install the Debian package ${target.cross ? `g++-${target.cross}` : 'g++'}`,
      { cause: error },
    );
  }
}

async function nodeGyp(packageDir, command, nodedir, target, tools) {
  const script = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  const env = { ...process.env, CC: tools.CC, CXX: tools.CXX, AR: tools.AR, LINK: tools.LINK };
  // Never let node-gyp look for headers or prebuilt binaries online.
  env.npm_config_nodedir = nodedir;
  try {
    await exec(
      process.execPath,
      [script, command, `--nodedir=${nodedir}`, `--arch=${target.gypArch}`, `--jobs=${cpus().length}`],
      { cwd: packageDir, env, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (error) {
    const log = `${error.stdout ?? ''}${error.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new NativeBuildError(`node-gyp ${command} failed in ${packageDir} for ${target.gypArch}:\n${log}`, {
      cause: error,
    });
  }
}

/**
 * A full build per ABI. Reusing SQLite's object between ABIs does not work: each Node release's
 * common.gypi adds its own defines, so make sees a changed command and recompiles it anyway.
 */
async function buildAddon(dir, nodedir, target, tools) {
  await nodeGyp(dir, 'rebuild', nodedir, target, tools);
}

/**
 * Builds (or takes from the cache) every native package under `root` for `target` and each of
 * its Node ABIs; returns what was shipped, for release.json.
 */
export async function buildNativeModules(root, target, log) {
  const tools = toolchain(target);
  const compiler = await compilerId(tools, target);
  const built = [];
  for (const rel of await findNativePackages(root)) {
    const dir = join(root, rel);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const spec = NATIVE_PACKAGES[pkg.name];
    if (!spec) {
      throw new NativeBuildError(
        `${rel} compiles a native addon the release does not know how to ship: add it to NATIVE_PACKAGES in ${import.meta.filename}`,
      );
    }
    const abis = [];
    for (const nodeRelease of target.nodes) {
      const nodedir = await nodeDist(nodeRelease);
      const abi = await moduleVersion(nodedir);
      const key = createHash('sha256')
        .update(JSON.stringify([pkg.name, pkg.version, target.gypArch, nodeRelease.version, compiler]))
        .digest('hex')
        .slice(0, 16);
      const cached = join(
        cacheDir(),
        'native',
        `${pkg.name}-${pkg.version}-${target.gypArch}-abi${abi}-${key}`,
      );
      const started = Date.now();
      let from = cached;
      if (!spec.files.every((file) => existsSync(join(cached, file)))) {
        await buildAddon(dir, nodedir, target, tools);
        const partial = `${cached}.partial`;
        await rm(partial, { recursive: true, force: true });
        await mkdir(partial, { recursive: true });
        for (const file of spec.files) {
          const output = join(dir, 'build', 'Release', file);
          if (!existsSync(output)) throw new NativeBuildError(`node-gyp built no ${file} in ${rel}`);
          await copyFile(output, join(partial, file));
          await exec(tools.STRIP, ['--strip-unneeded', join(partial, file)]);
        }
        await rm(cached, { recursive: true, force: true });
        await rename(partial, cached);
        from = cached;
        log(
          `  ${pkg.name} ${pkg.version} for Node ABI ${abi} (${target.gypArch}): built in ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
      } else {
        log(`  ${pkg.name} ${pkg.version} for Node ABI ${abi} (${target.gypArch}): from the cache`);
      }
      const abiDir = `node-v${abi}-linux-${target.nodeArch}`;
      const dest =
        spec.layout === 'bindings' ? join(dir, 'lib', 'binding', abiDir) : join(dir, 'out', abiDir);
      await mkdir(dest, { recursive: true });
      for (const file of spec.files) {
        await copyFile(join(from, file), join(dest, file));
        await checkElf(join(dest, file), target.nodeArch);
      }
      abis.push(abi);
    }
    await rm(join(dir, 'build'), { recursive: true, force: true });
    for (const prunable of spec.prune) await rm(join(dir, prunable), { recursive: true, force: true });
    if (spec.layout === 'nodeimu') {
      await rm(join(dir, 'out', 'NodeIMU.node'), { force: true });
      await writeFile(join(dir, 'out', 'NodeIMU.js'), NODEIMU_SHIM);
    }
    built.push({ package: pkg.name, version: pkg.version, path: rel, abis });
  }
  return built;
}
