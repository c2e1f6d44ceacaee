#!/usr/bin/env node
// Bundles every Lambda handler (cloud/src/handlers/*.ts) into cloud/dist-lambda/{name}/index.mjs
// (handler: index.handler), one minified ESM file per function for the nodejs24.x runtime, with
// its esbuild metafile beside it (meta.json; open it in https://esbuild.github.io/analyze/) and
// a bundles.json manifest listing what was built.
//
//   node cloud/scripts/bundle-lambdas.mjs [--aws-sdk bundled|external] [--out DIR]
//
// --aws-sdk bundled (default): the AWS SDK is bundled at the versions package-lock.json pins.
// --aws-sdk external: @aws-sdk/* and @smithy/* are left to the SDK v3 that the runtime ships
//   (what CDK's NodejsFunction does by default); the Node 18+ runtimes resolve ESM imports from
//   NODE_PATH, where that SDK lives. Smaller, but the SDK version is whatever the runtime has.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const cloudDir = dirname(dirname(fileURLToPath(import.meta.url)));
const rootDir = dirname(cloudDir);
const handlersDir = join(cloudDir, 'src', 'handlers');
const AWS_SDK_MODES = ['bundled', 'external'];

// The Lambdas never use SQLite (the local stack's database): the native module is not bundled,
// and the build fails if any handler can reach it (an external import of a module the function
// does not carry would fail the function's init).
const NEVER_IN_A_LAMBDA = ['better-sqlite3'];
const RUNTIME_SDK = ['@aws-sdk/*', '@smithy/*'];

/**
 * iconv-lite's CJK code tables (~390 KiB minified, a fifth of the photo bundle). mysql2 decodes with
 * iconv-lite only the charsets Node cannot decode itself (mysql2/lib/parsers/string.js), and the
 * schema is utf8mb4 throughout (migrations/0001), so these tables are only read if a column or
 * the connection were in big5, gbk/gb2312/gb18030, sjis/cp932, ujis/eucjpms or euckr. iconv-lite
 * require()s each table lazily, on first use of that charset: left out, such a decode fails with
 * the error below rather than silently. The single-byte tables (latin1 is decoded as cp1252) stay.
 */
const OMITTED_ICONV_TABLES =
  /^\.\/tables\/(shiftjis|eucjp|cp936|gbk-added|gb18030-ranges|cp949|cp950|big5-added)\.json$/;

class BundleError extends Error {
  name = 'BundleError';
}

const omitCjkCharsetTables = {
  name: 'omit-iconv-lite-cjk-tables',
  setup(build) {
    build.onResolve({ filter: OMITTED_ICONV_TABLES }, (args) =>
      /[\\/]iconv-lite[\\/]encodings$/.test(args.resolveDir)
        ? { path: args.path, namespace: 'omitted-iconv-table' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'omitted-iconv-table' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(
        `iconv-lite table ${args.path} is left out of the coffee-iot Lambda bundles ` +
          '(cloud/scripts/bundle-lambdas.mjs): the database uses utf8mb4, not a CJK charset',
      )});`,
      loader: 'js',
    }));
  },
};

function options() {
  const { values } = parseArgs({
    options: { 'aws-sdk': { type: 'string', default: 'bundled' }, out: { type: 'string' } },
  });
  const awsSdk = values['aws-sdk'];
  if (!AWS_SDK_MODES.includes(awsSdk)) {
    throw new BundleError(`--aws-sdk must be ${AWS_SDK_MODES.join(' or ')}, got ${awsSdk}`);
  }
  return { awsSdk, outDir: resolve(values.out ?? join(cloudDir, 'dist-lambda')) };
}

/** Every handler module: cloud/src/handlers/{name}.ts, tests and declarations aside. */
async function handlerEntries() {
  const names = (await readdir(handlersDir))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
  if (names.length === 0) throw new BundleError(`no handlers (*.ts) in ${handlersDir}`);
  return names.map((name) => ({ name, entry: join(handlersDir, `${name}.ts`) }));
}

/** The chain of inputs from the entry to the first one importing `module`, or null. */
function importChain(metafile, entry, module) {
  const previous = new Map([[entry, null]]);
  const queue = [entry];
  while (queue.length > 0) {
    const input = queue.shift();
    for (const imported of metafile.inputs[input]?.imports ?? []) {
      if (imported.path === module || imported.path.startsWith(`${module}/`)) {
        const chain = [imported.path];
        for (let at = input; at !== null; at = previous.get(at)) chain.unshift(at);
        return chain;
      }
      if (!imported.external && !previous.has(imported.path)) {
        previous.set(imported.path, input);
        queue.push(imported.path);
      }
    }
  }
  return null;
}

async function bundleHandler({ name, entry }, { awsSdk, outDir }) {
  const outfile = join(outDir, name, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    outfile,
    // Metafile paths relative to the repository root, wherever the script is run from.
    absWorkingDir: rootDir,
    bundle: true,
    minify: true,
    // Function and class names survive minifying, so a stack trace in the logs reads without a
    // source map (enabling maps costs ~0.3 s of CPU at every cold start: bench/README.md).
    keepNames: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // ESM builds first (dist-es): the SDK's tree-shake better than its CJS builds. CDK's
    // NodejsFunction does the same for ESM output.
    mainFields: ['module', 'main'],
    // Workspace packages resolve to their TypeScript sources, as in the tests.
    conditions: ['coffee-iot-source'],
    external: [...NEVER_IN_A_LAMBDA, ...(awsSdk === 'external' ? RUNTIME_SDK : [])],
    // CommonJS dependencies bundled into ESM (mysql2, pino, iconv-lite) call require() for Node
    // built-ins; ESM has no require, so the bundle makes one.
    banner: {
      js: "import { createRequire as __coffeeIotCreateRequire } from 'node:module';\nconst require = __coffeeIotCreateRequire(import.meta.url);",
    },
    plugins: [omitCjkCharsetTables],
    metafile: true,
    logLevel: 'warning',
  });
  const { metafile } = result;
  const entryInput = relative(rootDir, entry).split('\\').join('/');
  for (const module of NEVER_IN_A_LAMBDA) {
    const chain = importChain(metafile, entryInput, module);
    if (chain) throw new BundleError(`handler ${name} reaches ${module}: ${chain.join(' → ')}`);
  }
  const metafilePath = join(outDir, name, 'meta.json');
  await writeFile(metafilePath, JSON.stringify(metafile));
  return {
    name,
    entry: relative(rootDir, entry),
    outfile: relative(rootDir, outfile),
    metafile: relative(rootDir, metafilePath),
    bytes: (await stat(outfile)).size,
    bundledSdkClients: await bundledSdkClients(metafile),
  };
}

/** The AWS SDK clients in the bundle and their versions (none when the runtime's SDK is used). */
async function bundledSdkClients(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /(?:^|\/)node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(input);
    if (match) packages.add(match[1]);
  }
  const versions = {};
  for (const name of [...packages].sort()) {
    const manifest = join(rootDir, 'node_modules', name, 'package.json');
    versions[name] = JSON.parse(await readFile(manifest, 'utf8')).version;
  }
  return versions;
}

async function main() {
  const opts = options();
  await rm(opts.outDir, { recursive: true, force: true });
  await mkdir(opts.outDir, { recursive: true });
  const bundles = [];
  for (const handler of await handlerEntries()) bundles.push(await bundleHandler(handler, opts));
  await writeFile(
    join(opts.outDir, 'bundles.json'),
    `${JSON.stringify({ awsSdk: opts.awsSdk, bundles }, null, 2)}\n`,
  );
  for (const bundle of bundles) {
    process.stdout.write(
      `lambda ${bundle.name}: ${bundle.outfile} ${(bundle.bytes / 1024).toFixed(0)} KiB (aws-sdk ${opts.awsSdk})\n`,
    );
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`${error instanceof BundleError ? error.message : error?.stack}\n`);
  process.exitCode = 1;
}
