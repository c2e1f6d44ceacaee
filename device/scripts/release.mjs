#!/usr/bin/env node
// `npm run release`: device/dist-release/coffee-iot-agent-{version}-linux-{arch}.tar.gz for
// arm64, armv7l and x64. Each holds the bundled agent, its node_modules installed from the
// committed device/release/package-lock.json, every native module compiled for that CPU and
// each Node ABI it targets (no compiler and no network needed on the Pi), the systemd unit,
// the installer, release.json and a SHA-256 manifest (SHA256SUMS) of every file.
//
//   node device/scripts/release.mjs [--arch arm64,armv7l,x64] [--out DIR]
//   node device/scripts/release.mjs --update-lock | --check-lock [--lockfile FILE]
//
// --update-lock rewrites device/release/package-lock.json from the repository's
// package-lock.json (after a dependency update); a build refuses a stale one, and
// --check-lock only checks it (exit 1 when stale). --lockfile names another file (tests).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { cutLockfile } from './release/lockfile.mjs';
import { buildNativeModules, checkElf } from './release/native.mjs';
import { moduleVersion, nodeDist } from './release/node-dist.mjs';
import { ARCHES, TARGETS } from './release/targets.mjs';

const exec = promisify(execFile);
const deviceDir = dirname(dirname(fileURLToPath(import.meta.url)));
const rootDir = dirname(deviceDir);
const DEFAULT_LOCKFILE = join(deviceDir, 'release', 'package-lock.json');
// Only aws-crt's transport needs it, and aws-crt has no 32-bit ARM binary.
const CRT_ONLY = 'aws-iot-device-sdk-v2';

class ReleaseError extends Error {
  name = 'ReleaseError';
}

const { values: options } = parseArgs({
  options: {
    arch: { type: 'string', default: ARCHES.join(',') },
    out: { type: 'string', default: join(deviceDir, 'dist-release') },
    'update-lock': { type: 'boolean', default: false },
    'check-lock': { type: 'boolean', default: false },
    lockfile: { type: 'string', default: DEFAULT_LOCKFILE },
  },
});
const outDir = resolve(options.out);
const LOCKFILE = resolve(options.lockfile);
const workDir = join(outDir, '.work');
const log = (line) => process.stdout.write(`${line}\n`);
const readJson = async (path) => JSON.parse(await readFile(path, 'utf8'));
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

async function bundle() {
  const dir = join(workDir, 'bundle');
  await exec(process.execPath, [join(deviceDir, 'scripts', 'bundle.mjs'), '--out', dir]);
  return dir;
}

/** The lockfile for the bundle's package.json, cut from the repository's package-lock.json. */
async function expectedLockfile(manifest) {
  return cutLockfile(await readJson(join(rootDir, 'package-lock.json')), manifest, 'device');
}

async function gitInfo() {
  const git = async (...args) => (await exec('git', args, { cwd: rootDir })).stdout.trim();
  const commit = await git('rev-parse', 'HEAD');
  const dirty = (await git('status', '--porcelain', '--', 'device', 'shared')) !== '';
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? (await git('log', '-1', '--format=%ct')));
  return { commit: dirty ? `${commit}+dirty` : commit, epoch };
}

/** All files under `dir`, relative and sorted, for the manifest and the checks. */
async function listFiles(dir, prefix = '') {
  const files = [];
  for (const entry of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) files.push(rel);
    else
      throw new ReleaseError(`${join(dir, rel)} is neither a file nor a directory: a release holds no links`);
  }
  return files;
}

/** Every node_modules/.bin under `dir` (npm nests them where a version is not hoisted). */
async function findBinDirs(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (
      entry.isDirectory() &&
      entry.name === '.bin' &&
      (entry.parentPath ?? entry.path).endsWith('node_modules')
    ) {
      found.push(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return found;
}

async function sha256sums(dir) {
  const lines = [];
  for (const file of await listFiles(dir)) {
    if (file === 'SHA256SUMS') continue;
    if ((await stat(join(dir, file))).isDirectory()) continue;
    const digest = createHash('sha256')
      .update(await readFile(join(dir, file)))
      .digest('hex');
    lines.push(`${digest}  ${file}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Keeps only this architecture's aws-crt binary (the package ships seven platforms' builds) and what Node loads. */
async function trimAwsCrt(stage, target) {
  const crt = join(stage, 'node_modules', 'aws-crt');
  if (!target.awsCrt) {
    if (existsSync(crt))
      throw new ReleaseError(`${target.gypArch}: aws-crt was installed, but it has no binary here`);
    return undefined;
  }
  const bin = join(crt, 'dist', 'bin');
  const platforms = await readdir(bin);
  if (!platforms.includes(target.awsCrt)) throw new ReleaseError(`aws-crt ships no ${target.awsCrt} binary`);
  for (const platform of platforms) {
    if (platform !== target.awsCrt) await rm(join(bin, platform), { recursive: true });
  }
  // TypeScript and C sources and the browser build: Node loads dist/ only (4.5 MB unpacked).
  for (const unused of ['lib', 'source', 'dist.browser'])
    await rm(join(crt, unused), { recursive: true, force: true });
  const binary = join(bin, target.awsCrt, 'aws-crt-nodejs.node');
  await checkElf(binary, target.nodeArch);
  const version = (await readJson(join(crt, 'package.json'))).version;
  return {
    package: 'aws-crt',
    version,
    path: 'node_modules/aws-crt',
    napi: true,
    binary: relative(stage, binary),
  };
}

const onPath = (command) =>
  exec('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );

/**
 * Loads every native module of the staged tree with each Node release of this architecture
 * the registry has a binary of: natively on x64, under qemu-user (-L the cross toolchain's
 * libraries) on ARM when installed. Catches a module built for the wrong ABI, which the ELF
 * check cannot see. Returns the Node versions checked.
 */
async function verifyLoads(stage, arch, target, natives) {
  const code = natives
    .map((m) =>
      m === 'better-sqlite3' ? "new (require('better-sqlite3'))(':memory:').close();" : `require('${m}');`,
    )
    .join(' ');
  const checked = [];
  for (const nodeRelease of target.nodes) {
    if (nodeRelease.pkg !== `node-linux-${arch}`) continue; // headers only (no binary for this CPU)
    const node = join(await nodeDist(nodeRelease), 'bin', 'node');
    let command;
    if (!target.qemu) command = process.arch === target.nodeArch ? [node] : undefined;
    else if ((await onPath(target.qemu)) && existsSync(target.sysroot))
      command = [target.qemu, '-L', target.sysroot, node];
    if (!command) {
      log(`${arch}: native modules not load-checked with Node ${nodeRelease.version}: no way to run it here`);
      continue;
    }
    try {
      await exec(command[0], [...command.slice(1), '-e', code], { cwd: stage });
    } catch (error) {
      throw new ReleaseError(
        `${arch}: native modules do not load with Node ${nodeRelease.version}: ${error.stderr || error.message}`,
        {
          cause: error,
        },
      );
    }
    checked.push(nodeRelease.version);
  }
  return checked;
}

async function buildArch(arch, bundleDir, manifest, lockfile, git) {
  const target = TARGETS[arch];
  const started = Date.now();
  const name = `coffee-iot-agent-${manifest.version}-linux-${arch}`;
  const stage = join(workDir, name);
  await rm(stage, { recursive: true, force: true });
  await cp(bundleDir, stage, { recursive: true });

  const archManifest = structuredClone(manifest);
  if (!target.awsCrt) delete archManifest.optionalDependencies[CRT_ONLY];
  const archLock = cutLockfile(lockfile, archManifest);
  await writeFile(join(stage, 'package.json'), json(archManifest));
  await writeFile(join(stage, 'package-lock.json'), json(archLock));
  log(`${arch}: npm ci (${Object.keys(archLock.packages).length - 1} packages, scripts off)`);
  await exec(
    'npm',
    [
      'ci',
      '--ignore-scripts',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--os=linux',
      `--cpu=${target.nodeArch}`,
      '--libc=glibc',
    ],
    { cwd: stage, maxBuffer: 16 * 1024 * 1024 },
  ).catch((error) => {
    throw new ReleaseError(`${arch}: npm ci failed: ${error.stderr || error.message}`, { cause: error });
  });
  // npm ci writes these; they hold nothing the agent needs and differ between runs. .bin holds
  // symlinks (command shims), which a checksum manifest cannot vouch for.
  await rm(join(stage, 'node_modules', '.package-lock.json'), { force: true });
  for (const bin of await findBinDirs(join(stage, 'node_modules'))) await rm(bin, { recursive: true });

  const awsCrt = await trimAwsCrt(stage, target);
  const natives = await buildNativeModules(stage, target, log);
  const loadChecked = await verifyLoads(stage, arch, target, [
    ...natives.map((m) => m.package),
    ...(awsCrt ? ['aws-crt'] : []),
  ]);
  const nodes = [];
  for (const nodeRelease of target.nodes) {
    nodes.push({ version: nodeRelease.version, abi: await moduleVersion(await nodeDist(nodeRelease)) });
  }
  const release = {
    name: 'coffee-iot-agent',
    version: manifest.version,
    arch,
    // process.arch of a Node that can run this tarball.
    nodeArch: target.nodeArch,
    // Native modules are built for these Node ABIs (process.versions.modules) only.
    node: nodes,
    transport: target.awsCrt ? 'aws-crt' : 'mqtt.js',
    nativeModules: [...natives, ...(awsCrt ? [awsCrt] : [])],
    commit: git.commit,
    // The commit's date (or SOURCE_DATE_EPOCH), not the clock's: the same commit builds the same bytes.
    buildDate: new Date(git.epoch * 1000).toISOString(),
  };
  await writeFile(join(stage, 'release.json'), json(release));
  await writeFile(join(stage, 'VERSION'), `${manifest.version}\n`);
  await writeFile(join(stage, 'SHA256SUMS'), await sha256sums(stage));

  const tarball = join(outDir, `${name}.tar.gz`);
  // Sorted entries, fixed owner and mtime (the commit's), no gzip timestamp: the same inputs
  // give the same bytes.
  await exec('sh', [
    '-c',
    'tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mtime="@$1" -C "$2" -cf - "$3" | gzip -n -9 >"$4"',
    'tar',
    String(git.epoch),
    workDir,
    name,
    tarball,
  ]);
  const size = (await stat(tarball)).size;
  log(
    `${arch}: ${relative(process.cwd(), tarball)} ${(size / 1024 / 1024).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(0)} s ` +
      `(Node ABI ${nodes.map((n) => n.abi).join('+')}; ${release.nativeModules.map((m) => m.package).join(', ')}; ` +
      `loaded with Node ${loadChecked.join(', ') || 'none'})`,
  );
  return tarball;
}

/** Runs `jobs` with at most `limit` at a time (each arch's build is mostly one compiler). */
async function inParallel(jobs, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      try {
        results[index] = await jobs[index]();
      } catch (error) {
        next = jobs.length; // start nothing more; the running ones finish
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

async function main() {
  const arches = options.arch.split(',').filter(Boolean);
  for (const arch of arches) {
    if (!TARGETS[arch]) throw new ReleaseError(`unknown --arch ${arch}; expected ${ARCHES.join(', ')}`);
  }
  const started = Date.now();
  await mkdir(workDir, { recursive: true });
  // Build output, never committed; ignored from here so no shared .gitignore needs the line.
  await writeFile(join(outDir, '.gitignore'), '*\n');
  const bundleDir = await bundle();
  const manifest = await readJson(join(bundleDir, 'package.json'));
  const expected = await expectedLockfile(manifest);
  if (options['update-lock']) {
    await mkdir(dirname(LOCKFILE), { recursive: true });
    await writeFile(LOCKFILE, json(expected));
    log(`wrote ${relative(rootDir, LOCKFILE)} (${Object.keys(expected.packages).length - 1} packages)`);
    await rm(workDir, { recursive: true, force: true });
    return;
  }
  const committed = existsSync(LOCKFILE) ? await readFile(LOCKFILE, 'utf8') : '';
  if (committed !== json(expected)) {
    throw new ReleaseError(
      `${relative(rootDir, LOCKFILE)} does not match package-lock.json (the versions the tests run with): ` +
        'run `npm run release -- --update-lock` and commit it',
    );
  }
  if (options['check-lock']) {
    log(`${relative(rootDir, LOCKFILE)} matches package-lock.json`);
    await rm(workDir, { recursive: true, force: true });
    return;
  }
  const git = await gitInfo();
  // Fetch Node headers once, before the parallel builds race for them.
  for (const arch of arches) for (const nodeRelease of TARGETS[arch].nodes) await nodeDist(nodeRelease);
  await inParallel(
    arches.map((arch) => () => buildArch(arch, bundleDir, manifest, expected, git)),
    cpus().length,
  );
  await rm(workDir, { recursive: true, force: true });
  log(`release: ${arches.length} tarball(s) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (error) {
  await rm(workDir, { recursive: true, force: true });
  process.stderr.write(`release: ${error.name === 'Error' ? '' : `${error.name}: `}${error.message}\n`);
  process.exitCode = 1;
}
