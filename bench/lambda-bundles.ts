/**
 * Lambda bundles: size and cold init of every handler bundle (cloud/scripts/bundle-lambdas.mjs),
 * with the AWS SDK bundled and left to the runtime, timed on the Node.js binary given by --node
 * (the Lambdas run on nodejs24.x; default: the node running this). Goals (issue 4): ≤ 1 MB and
 * ≤ 300 ms of init per Lambda. Run: see bench/README.md.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BundleComposition, bundleComposition, readManifest } from './lib/bundle-metafile.js';
import {
  NO_NETWORK_IMPORT,
  NodeBinaryError,
  nodeVersion,
  type ProcessRun,
  timeNode,
} from './lib/cold-start.js';
import { describeLoad, MachineBusyError, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLER = join(ROOT, 'cloud', 'scripts', 'bundle-lambdas.mjs');
// Inside the repository (and git-ignored with cloud/dist-lambda/): in external mode the bundles
// import @aws-sdk/* at run time, found here in node_modules as the runtime finds its own copy.
const OUT_ROOT = join(ROOT, 'cloud', 'dist-lambda', '.bench');
const MODES = ['bundled', 'external'] as const;
type AwsSdkMode = (typeof MODES)[number];
/** 1 MB as AWS counts Lambda package sizes (the 50 MB limit is 52,428,800 bytes). */
const GOAL = { bytes: 1024 * 1024, initMs: 300 };
const WARM_UP_ROUNDS = 2;
const PACKAGES_SHOWN = 8;

/**
 * What a handler may read when its module is imported, as dummies; no credentials, so anything
 * that tried to call AWS at import would fail (and the guard run reports any connect or lookup).
 */
const LAMBDA_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_FUNCTION_NAME: 'coffee-iot-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  INGEST_STREAM_NAME: 'coffee-iot-bench-ingest',
  // The Firehose transformation reads its table and the lake bucket (for refused readings) at
  // import; the devices snapshot writes to the lake bucket.
  LAKE_TABLE: 'telemetry',
  LAKE_BUCKET: 'coffee-iot-bench-lake',
  // The dashboard API reads the photo bucket it links to at import.
  PHOTO_BUCKET: 'coffee-iot-bench-photos',
};

/**
 * The database variables of each profile (cloud/src/db/lambda-database-config.ts), read at import
 * by every handler that reaches Aurora. Each bundle is imported once in each mode (a variable a
 * mode needs and this lacks fails the run); the timed runs use TIMED_DATABASE_MODE.
 */
const DATABASE_ENV = {
  'data-api': {
    DATABASE_MODE: 'data-api',
    DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:000000000000:cluster:coffee-iot-bench',
    DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:coffee-iot-bench-db',
    DB_NAME: 'coffee',
  },
  mysql: {
    DATABASE_MODE: 'mysql',
    DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:coffee-iot-bench-db',
    DB_HOST: 'coffee-iot-bench-proxy.proxy-000000000000.eu-west-1.rds.amazonaws.com',
    DB_NAME: 'coffee',
  },
} as const satisfies Record<string, NodeJS.ProcessEnv>;
type DatabaseMode = keyof typeof DATABASE_ENV;
const DATABASE_MODES = Object.keys(DATABASE_ENV) as DatabaseMode[];
/**
 * The small profile's mode: there the functions scale to zero, so cold starts are most frequent.
 * At import the mode only decides which variables are read (connections open on the first event).
 */
const TIMED_DATABASE_MODE: DatabaseMode = 'data-api';
const lambdaEnv = (mode: DatabaseMode): NodeJS.ProcessEnv => ({ ...LAMBDA_ENV, ...DATABASE_ENV[mode] });

interface Bundle {
  name: string;
  mode: AwsSdkMode;
  outfile: string;
  bytes: number;
  gzipBytes: number;
  composition: BundleComposition;
  bundledSdkClients: Record<string, string>;
  /** stderr of the guard runs (warnings printed at import), if any. */
  importStderr: string;
  /** Why the bundle could not be imported (it is then not timed, and the bench fails). */
  importError?: string;
}

interface Timing {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    node: { type: 'string', default: process.execPath },
    'allow-busy': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
if (!(Number.isInteger(RUNS) && RUNS >= 3)) {
  console.error(`--runs must be an integer ≥ 3 (got ${values.runs})`);
  process.exit(2);
}
// The binary every import below runs on (bundling aside, which only needs esbuild).
const NODE = values.node;
const { NODE_VERSION, loadBefore } = await startOrRefuse(NODE, values['allow-busy']);
note(`cold starts on node ${NODE_VERSION} (${NODE}); ${describeLoad(loadBefore)}`);

const bundles: Bundle[] = [];
for (const mode of MODES) {
  note(`bundling every handler, aws-sdk ${mode}`);
  const outDir = join(OUT_ROOT, mode);
  await promisify(execFile)(process.execPath, [BUNDLER, '--aws-sdk', mode, '--out', outDir], { cwd: ROOT });
  for (const bundle of (await readManifest(outDir)).bundles) {
    const outfile = join(ROOT, bundle.outfile);
    bundles.push({
      name: bundle.name,
      mode,
      outfile,
      bytes: bundle.bytes,
      gzipBytes: gzipSync(await readFile(outfile), { level: 9 }).length,
      composition: await bundleComposition(join(ROOT, bundle.metafile)),
      bundledSdkClients: bundle.bundledSdkClients,
      importStderr: '',
    });
  }
}

note(
  `importing each bundle once per database mode (${DATABASE_MODES.join(', ')}) with sockets and DNS refused (no network at import)`,
);
for (const bundle of bundles) {
  const stderr: string[] = [];
  for (const databaseMode of DATABASE_MODES) {
    const run = await timeNode(['--import', NO_NETWORK_IMPORT, bundle.outfile], {
      env: lambdaEnv(databaseMode),
      cwd: ROOT,
      node: NODE,
    });
    if (run.code !== 0) {
      // Reported in every table and the JSON line, and the bench fails at the end: never skipped quietly.
      bundle.importError = `DATABASE_MODE=${databaseMode}: exited with ${run.code ?? run.signal}${run.code === 3 ? ' (network at import)' : ''}: ${importErrorLine(run.stderr)}`;
      note(`${bundleLabel(bundle)} FAILED at import, ${bundle.importError}\n${shortened(run.stderr)}`);
      break;
    }
    if (run.stderr.trim() !== '' && !stderr.includes(run.stderr.trim())) stderr.push(run.stderr.trim());
  }
  bundle.importStderr = stderr.join('\n');
}
const timed = bundles.filter((bundle) => bundle.importError === undefined);

note(
  `cold starts (DATABASE_MODE=${TIMED_DATABASE_MODE}): ${WARM_UP_ROUNDS} warm-up rounds, then ${RUNS} rounds of node -e '' and each of ${timed.length} bundles`,
);
const baselineArgs = ['-e', ''];
const samples = new Map<Bundle | 'baseline', { wallMs: number[]; cpuMs: number[] }>();
for (const subject of ['baseline' as const, ...timed]) samples.set(subject, { wallMs: [], cpuMs: [] });
for (let round = -WARM_UP_ROUNDS; round < RUNS; round += 1) {
  // Rotated each round, so no bundle always runs right after the baseline (or after another bundle).
  const order: (Bundle | 'baseline')[] = ['baseline', ...timed];
  const shift = ((round % order.length) + order.length) % order.length;
  for (const subject of [...order.slice(shift), ...order.slice(0, shift)]) {
    // The baseline runs on the same binary, with the same preload, so the ratios compare like with like.
    const run: ProcessRun = await timeNode(subject === 'baseline' ? baselineArgs : [subject.outfile], {
      env: lambdaEnv(TIMED_DATABASE_MODE),
      cwd: ROOT,
      node: NODE,
      cpu: true,
    });
    if (run.code !== 0 || !Number.isFinite(run.cpuMs)) {
      throw new Error(
        `${subject === 'baseline' ? 'baseline' : subject.outfile} exited with ${run.code ?? run.signal}${Number.isFinite(run.cpuMs) ? '' : ' without reporting its CPU time'}\n${run.stderr}`,
      );
    }
    if (round >= 0) {
      samples.get(subject)?.wallMs.push(run.wallMs);
      samples.get(subject)?.cpuMs.push(run.cpuMs);
    }
  }
}
const loadAfter = machineLoad();

const timing = (values: readonly number[]): Timing => ({
  runs: values.length,
  medianMs: median(values),
  minMs: Math.min(...values),
  maxMs: Math.max(...values),
});
const baseline = {
  cold: timing(samples.get('baseline')?.wallMs ?? []),
  cpu: timing(samples.get('baseline')?.cpuMs ?? []),
};
const results = bundles.map((bundle) => {
  const cold = timing(samples.get(bundle)?.wallMs ?? []);
  const cpu = timing(samples.get(bundle)?.cpuMs ?? []);
  return {
    ...bundle,
    cold,
    cpu,
    initMs: cold.medianMs - baseline.cold.medianMs,
    initMinMs: cold.minMs - baseline.cold.minMs,
    initCpuMs: cpu.medianMs - baseline.cpu.medianMs,
    xBaseline: cold.medianMs / baseline.cold.medianMs,
    xBaselineCpu: cpu.medianMs / baseline.cpu.medianMs,
  };
});

const kib = (bytes: number) => fixed(bytes / 1024, 0);
printTable(
  `Lambda bundles (esbuild, minified ESM, node24 target; 1 MB = ${GOAL.bytes.toLocaleString('en')} bytes)`,
  ['handler', 'aws-sdk', 'bytes', 'KiB', 'gzip KiB', 'runtime imports', 'largest packages (KiB in output)'],
  results.map((r) => [
    r.name,
    r.mode,
    r.bytes.toLocaleString('en'),
    kib(r.bytes),
    kib(r.gzipBytes),
    r.composition.externals.join(' ') || '-',
    r.composition.packages
      .slice(0, 5)
      .map((p) => `${p.name} ${kib(p.bytes)}`)
      .join(', '),
  ]),
);
printTable(
  'Largest inputs per bundle (metafile: bytes each package and its largest file put in the output)',
  ['bundle', 'package', 'KiB', '% of bundle', 'largest file (KiB)'],
  results.flatMap((r) =>
    r.composition.packages.slice(0, PACKAGES_SHOWN).map((p) => {
      const file = r.composition.files.find(
        (f) => f.name.includes(`node_modules/${p.name}/`) || f.name.startsWith(`${p.name}/`),
      );
      return [
        bundleLabel(r),
        p.name,
        kib(p.bytes),
        fixed((100 * p.bytes) / r.bytes, 1),
        file ? `${file.name.replace(/^.*node_modules\//, '')} (${kib(file.bytes)})` : '',
      ];
    }),
  ),
);
printTable(
  `Cold init: a fresh node ${NODE_VERSION} importing the bundle and exiting (${RUNS} runs each, after ${WARM_UP_ROUNDS} warm-up rounds, DATABASE_MODE=${TIMED_DATABASE_MODE}); init = median − baseline median; ${describeLoad(loadBefore)} before, ${describeLoad(loadAfter)} after`,
  [
    'process',
    'wall median ms',
    'min ms',
    'max ms',
    'CPU median ms',
    'init wall ms',
    'init wall ms (min − min)',
    'init CPU ms',
    'x baseline wall',
    'x baseline CPU',
  ],
  [
    [
      "baseline: node -e ''",
      fixed(baseline.cold.medianMs),
      fixed(baseline.cold.minMs),
      fixed(baseline.cold.maxMs),
      fixed(baseline.cpu.medianMs),
      '',
      '',
      '',
      '1.0',
      '1.0',
    ],
    ...results.map((r) =>
      r.importError === undefined
        ? [
            bundleLabel(r),
            fixed(r.cold.medianMs),
            fixed(r.cold.minMs),
            fixed(r.cold.maxMs),
            fixed(r.cpu.medianMs),
            fixed(r.initMs),
            fixed(r.initMinMs),
            fixed(r.initCpuMs),
            fixed(r.xBaseline, 1),
            fixed(r.xBaselineCpu, 1),
          ]
        : [bundleLabel(r), 'IMPORT FAILED', '', '', '', '', '', '', '', ''],
    ),
  ],
);
printTable(
  'Goals (issue 4), per Lambda',
  ['handler', 'aws-sdk', `size ≤ 1 MB`, `init ≤ ${GOAL.initMs} ms`],
  results.map((r) => [
    r.name,
    r.mode,
    goalVerdict(r.bytes <= GOAL.bytes),
    r.importError === undefined ? goalVerdict(r.initMs <= GOAL.initMs) : 'IMPORT FAILED',
  ]),
);
const failures = results.filter((r) => r.importError !== undefined);
if (failures.length > 0) {
  printTable(
    'Bundles that FAILED at import (not timed; fix them and run again)',
    ['bundle', 'error'],
    failures.map((r) => [bundleLabel(r), r.importError ?? '']),
  );
  process.exitCode = 1;
}
if (loadBefore.busy || loadAfter.busy) {
  console.log(
    `\nWARNING: measured on a busy machine (${describeLoad(loadBefore)} before, ${describeLoad(loadAfter)} after): the times are inflated; quote them only with the load`,
  );
}
const warnings = results.filter((r) => r.importStderr !== '');
for (const r of warnings)
  note(`${bundleLabel(r)} wrote to stderr at import: ${r.importStderr.split('\n')[0]}`);
printJsonLine({
  bench: 'lambda-bundles',
  node: NODE_VERSION,
  nodePath: NODE,
  runs: RUNS,
  databaseMode: TIMED_DATABASE_MODE,
  loadBefore,
  loadAfter,
  goal: GOAL,
  baseline,
  importFailures: failures.length,
  bundles: results.map((r) => ({
    name: r.name,
    awsSdk: r.mode,
    bytes: r.bytes,
    gzipBytes: r.gzipBytes,
    bundledSdkClients: r.bundledSdkClients,
    runtimeImports: r.composition.externals,
    packages: r.composition.packages.slice(0, 15),
    files: r.composition.files.slice(0, 10),
    importError: r.importError ?? null,
    cold: r.cold,
    cpu: r.cpu,
    initMs: r.initMs,
    initMinMs: r.initMinMs,
    initCpuMs: r.initCpuMs,
    xBaseline: r.xBaseline,
    xBaselineCpu: r.xBaselineCpu,
    importStderr: r.importStderr,
    goals: { size: r.bytes <= GOAL.bytes, init: r.importError === undefined && r.initMs <= GOAL.initMs },
  })),
});

/**
 * The error's own line from a failed import's stderr. Node prints the throwing source line first
 * (one long minified line), then the error: `Zv [EnvironmentError]: invalid environment: …` (the
 * class name minified, the error's name in brackets) or `TypeError: …`.
 */
function importErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  return (
    lines.find((line) => /^(?:[\w$]+ \[)?[\w$]*Error\]?: |^NETWORK ATTEMPTED/.test(line)) ??
    lines.find((line) => line !== '')?.slice(0, 200) ??
    '(no stderr)'
  );
}

/** stderr without the minified source lines Node quotes (each can be kilobytes long). */
function shortened(stderr: string): string {
  return stderr
    .trim()
    .split('\n')
    .map((line) => (line.length > 200 ? `${line.slice(0, 200)}…` : line))
    .join('\n');
}

/** The binary's version and the load before the run, or exit 2 saying why the bench will not run. */
async function startOrRefuse(node: string, allowBusy: boolean) {
  try {
    return {
      NODE_VERSION: await nodeVersion(node),
      loadBefore: refuseIfBusy(allowBusy, '--allow-busy'),
    };
  } catch (error) {
    if (!(error instanceof NodeBinaryError || error instanceof MachineBusyError)) throw error;
    console.error(`lambda-bundles: ${error.message}`);
    process.exit(2);
  }
}

function bundleLabel(bundle: Pick<Bundle, 'name' | 'mode'>): string {
  return `${bundle.name} (aws-sdk ${bundle.mode})`;
}

/** PASS/MISS: a missed goal is a finding to report, not a broken bench. */
function goalVerdict(pass: boolean): string {
  return verdict(pass).replace('FAIL', 'MISS');
}
