#!/usr/bin/env node
// Builds device/dist-bundle/: the agent as one ESM file plus what install-pi.sh needs on a
// Pi (package.json for the native runtime deps, systemd unit, installer, example config, and
// the demo photos the mock camera uses).
// Native and Pi-only modules stay external: they must be built for the Pi's own architecture,
// either by `npm install` on the Pi or, in a release tarball (scripts/release.mjs), by cross
// compiling here; never bundled from this machine.
import { chmod, copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const deviceDir = dirname(dirname(fileURLToPath(import.meta.url)));
const rootDir = dirname(deviceDir);
// `--out DIR` lets tests build elsewhere; the default is what install docs refer to.
const { values: cliOptions } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = resolve(cliOptions.out ?? join(deviceDir, 'dist-bundle'));
const ENTRY = 'coffee-iot-agent.mjs';
// Where defaultDemoPhotoDir() (src/camera/mock-camera.ts) looks next to the bundled agent:
// ./assets/demo-photos/ relative to the entry file.
const DEMO_PHOTOS = join('assets', 'demo-photos');

// Imported at run time from /opt/coffee-iot/agent/node_modules.
const EXTERNALS = [
  'better-sqlite3',
  'aws-iot-device-sdk-v2',
  'aws-crt',
  'mqtt',
  'node-sense-hat',
  'onoff',
  'sense-hat-led',
  'pino',
];
// Not installable everywhere: aws-crt has no 32-bit ARM binary, node-sense-hat needs the HAT
// toolchain, onoff (epoll) and sense-hat-led (ioctl) compile Linux-only addons. The agent
// imports them lazily and falls back (MQTT.js) or explains (--mock).
const OPTIONAL = new Set(['aws-iot-device-sdk-v2', 'node-sense-hat', 'onoff', 'sense-hat-led']);
// aws-crt comes with aws-iot-device-sdk-v2 at the version that SDK was built against.
const PROVIDED_BY = { 'aws-crt': 'aws-iot-device-sdk-v2' };

class BundleError extends Error {
  name = 'BundleError';
}

const readJson = async (path) => JSON.parse(await readFile(path, 'utf8'));

const launcher = `import { main } from './src/cli.ts';
process.exitCode = await main(process.argv.slice(2));
`;

async function bundleAgent() {
  const result = await build({
    stdin: { contents: launcher, resolveDir: deviceDir, sourcefile: 'launcher.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: join(outDir, ENTRY),
    external: EXTERNALS,
    // Workspace packages resolve to their TypeScript sources, as in the tests.
    conditions: ['coffee-iot-source'],
    // CommonJS dependencies bundled into ESM (ajv) call require() for Node built-ins.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __coffeeIotCreateRequire } from 'node:module';\nconst require = __coffeeIotCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

/**
 * The externals the bundle imports, each at the version device/package.json pins, plus every
 * optional dependency: those are loaded lazily, sometimes by a name esbuild cannot see.
 */
function runtimeDependencies(metafile, devicePackage) {
  const imported = new Set(Object.keys(devicePackage.optionalDependencies ?? {}));
  for (const input of Object.values(metafile.inputs)) {
    for (const entry of input.imports)
      if (entry.external && EXTERNALS.includes(entry.path)) imported.add(entry.path);
  }
  const declared = { ...devicePackage.dependencies, ...devicePackage.optionalDependencies };
  const dependencies = {};
  const optionalDependencies = {};
  for (const name of [...imported].sort()) {
    const owner = PROVIDED_BY[name] ?? name;
    const version = declared[owner];
    if (!version)
      throw new BundleError(`the bundle imports ${name} but device/package.json does not declare ${owner}`);
    const optional = OPTIONAL.has(owner) || owner in (devicePackage.optionalDependencies ?? {});
    (optional ? optionalDependencies : dependencies)[owner] = version;
  }
  return { dependencies, optionalDependencies };
}

/** The mock camera's demo photos (PNGs) and their PROVENANCE.md; returns the photo count. */
async function copyDemoPhotos() {
  const from = join(deviceDir, DEMO_PHOTOS);
  const to = join(outDir, DEMO_PHOTOS);
  const files = (await readdir(from)).filter((name) => /\.png$/i.test(name) || name === 'PROVENANCE.md');
  const photos = files.filter((name) => name !== 'PROVENANCE.md');
  if (photos.length === 0) throw new BundleError(`no demo photos (*.png) in ${from}`);
  if (!files.includes('PROVENANCE.md')) throw new BundleError(`${from}/PROVENANCE.md is missing`);
  await mkdir(to, { recursive: true });
  for (const name of files) await copyFile(join(from, name), join(to, name));
  return photos.length;
}

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const metafile = await bundleAgent();
  await chmod(join(outDir, ENTRY), 0o755);

  const devicePackage = await readJson(join(deviceDir, 'package.json'));
  const rootPackage = await readJson(join(rootDir, 'package.json'));
  const packageJson = {
    name: 'coffee-iot-agent',
    version: devicePackage.version,
    private: true,
    description: devicePackage.description,
    type: 'module',
    bin: { 'coffee-iot-agent': `./${ENTRY}` },
    engines: devicePackage.engines,
    ...runtimeDependencies(metafile, devicePackage),
    // node-sense-hat pulls node-gyp 6, which crashes on Node 20 (see DESIGN.md). The root
    // pins it as "$node-gyp" (a reference to its own devDependency); the bundle has no such
    // dependency, so it gets the concrete range.
    overrides: { 'node-gyp': rootPackage.devDependencies['node-gyp'] },
    // npm 11 skips dependency install scripts unless allowed; on the Pi these must build
    // (better-sqlite3 and aws-crt fetch or compile their binaries, nodeimu is the HAT driver,
    // epoll is onoff's GPIO interrupt addon, ioctl is what sense-hat-led drives the LEDs with).
    // The root package.json denies the last three: a laptop never compiles Pi-only modules.
    allowScripts: { 'better-sqlite3': true, 'aws-crt': true, nodeimu: true, epoll: true, ioctl: true },
  };
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);

  await copyFile(
    join(deviceDir, 'systemd', 'coffee-iot-agent.service'),
    join(outDir, 'coffee-iot-agent.service'),
  );
  await copyFile(join(deviceDir, 'scripts', 'agent.example.json'), join(outDir, 'agent.example.json'));
  await copyFile(join(deviceDir, 'scripts', 'install-pi.sh'), join(outDir, 'install-pi.sh'));
  // The unit's ExecStart; install-pi.sh installs it outside the releases an update may replace.
  await copyFile(join(deviceDir, 'scripts', 'coffee-iot-launch.sh'), join(outDir, 'coffee-iot-launch.sh'));
  await chmod(join(outDir, 'coffee-iot-launch.sh'), 0o755);
  await chmod(join(outDir, 'install-pi.sh'), 0o755);
  const photos = await copyDemoPhotos();

  const size = (await readFile(join(outDir, ENTRY))).length;
  process.stdout.write(
    `bundle: ${outDir}/ (${ENTRY} ${(size / 1024).toFixed(0)} KiB; ` +
      `runtime deps: ${Object.keys({ ...packageJson.dependencies, ...packageJson.optionalDependencies }).join(', ')}; ` +
      `${photos} demo photos)\n`,
  );
}

await main();
