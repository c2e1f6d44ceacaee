/**
 * Lambda bundles: size and cold init of every handler bundle (cloud/scripts/bundle-lambdas.mjs),
 * with the AWS SDK bundled and left to the runtime. Goals (issue 4): ≤ 1 MB and ≤ 300 ms of init
 * per Lambda. Run: see bench/README.md.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BundleComposition, bundleComposition, readManifest } from './lib/bundle-metafile.js';
import { NO_NETWORK_IMPORT, type ProcessRun, timeNode } from './lib/cold-start.js';
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
  // The Firehose transformation reads its table and the lake bucket (for refused readings) at import.
  LAKE_TABLE: 'telemetry',
  LAKE_BUCKET: 'coffee-iot-bench-lake',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:coffee-iot-bench-db',
  // The dashboard API reads the photo bucket it links to at import.
  PHOTO_BUCKET: 'coffee-iot-bench-photos',
};

interface Bundle {
  name: string;
  mode: AwsSdkMode;
  outfile: string;
  bytes: number;
  gzipBytes: number;
  composition: BundleComposition;
  bundledSdkClients: Record<string, string>;
  /** stderr of the guard run (warnings printed at import), if any. */
  importStderr: string;
}

interface Timing {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
if (!(Number.isInteger(RUNS) && RUNS >= 3)) {
  console.error(`--runs must be an integer ≥ 3 (got ${values.runs})`);
  process.exit(2);
}

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

note('importing each bundle once with sockets and DNS refused (no network at import)');
for (const bundle of bundles) {
  const run = await timeNode(['--import', NO_NETWORK_IMPORT, bundle.outfile], { env: LAMBDA_ENV, cwd: ROOT });
  if (run.code !== 0) {
    throw new Error(
      `${bundle.name} (${bundle.mode}): import exited with ${run.code ?? run.signal}${run.code === 3 ? ' (network at import)' : ''}\n${run.stderr}`,
    );
  }
  bundle.importStderr = run.stderr.trim();
}

note(`cold starts: ${WARM_UP_ROUNDS} warm-up rounds, then ${RUNS} rounds of node -e '' and each bundle`);
const baselineArgs = ['-e', ''];
const samples = new Map<Bundle | 'baseline', number[]>();
for (const subject of ['baseline' as const, ...bundles]) samples.set(subject, []);
for (let round = -WARM_UP_ROUNDS; round < RUNS; round += 1) {
  // Rotated each round, so no bundle always runs right after the baseline (or after another bundle).
  const order: (Bundle | 'baseline')[] = ['baseline', ...bundles];
  const shift = ((round % order.length) + order.length) % order.length;
  for (const subject of [...order.slice(shift), ...order.slice(0, shift)]) {
    const run: ProcessRun = await timeNode(subject === 'baseline' ? baselineArgs : [subject.outfile], {
      env: LAMBDA_ENV,
      cwd: ROOT,
    });
    if (run.code !== 0) {
      throw new Error(
        `${subject === 'baseline' ? 'baseline' : subject.outfile} exited with ${run.code}\n${run.stderr}`,
      );
    }
    if (round >= 0) samples.get(subject)?.push(run.wallMs);
  }
}

const timing = (values: readonly number[]): Timing => ({
  runs: values.length,
  medianMs: median(values),
  minMs: Math.min(...values),
  maxMs: Math.max(...values),
});
const baseline = timing(samples.get('baseline') ?? []);
const results = bundles.map((bundle) => {
  const cold = timing(samples.get(bundle) ?? []);
  return {
    ...bundle,
    cold,
    initMs: cold.medianMs - baseline.medianMs,
    initMinMs: cold.minMs - baseline.minMs,
    xBaseline: cold.medianMs / baseline.medianMs,
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
  `Cold init: a fresh node ${process.version} importing the bundle and exiting (${RUNS} runs each, after ${WARM_UP_ROUNDS} warm-up rounds); init = median − baseline median`,
  ['process', 'median ms', 'min ms', 'max ms', 'init ms', 'init ms (min − min)', 'x baseline'],
  [
    [
      "baseline: node -e ''",
      fixed(baseline.medianMs),
      fixed(baseline.minMs),
      fixed(baseline.maxMs),
      '',
      '',
      '1.0',
    ],
    ...results.map((r) => [
      bundleLabel(r),
      fixed(r.cold.medianMs),
      fixed(r.cold.minMs),
      fixed(r.cold.maxMs),
      fixed(r.initMs),
      fixed(r.initMinMs),
      fixed(r.xBaseline, 1),
    ]),
  ],
);
printTable(
  'Goals (issue 4), per Lambda',
  ['handler', 'aws-sdk', `size ≤ 1 MB`, `init ≤ ${GOAL.initMs} ms`],
  results.map((r) => [
    r.name,
    r.mode,
    goalVerdict(r.bytes <= GOAL.bytes),
    goalVerdict(r.initMs <= GOAL.initMs),
  ]),
);
const warnings = results.filter((r) => r.importStderr !== '');
for (const r of warnings)
  note(`${bundleLabel(r)} wrote to stderr at import: ${r.importStderr.split('\n')[0]}`);
printJsonLine({
  bench: 'lambda-bundles',
  node: process.version,
  runs: RUNS,
  goal: GOAL,
  baseline,
  bundles: results.map((r) => ({
    name: r.name,
    awsSdk: r.mode,
    bytes: r.bytes,
    gzipBytes: r.gzipBytes,
    bundledSdkClients: r.bundledSdkClients,
    runtimeImports: r.composition.externals,
    packages: r.composition.packages.slice(0, 15),
    files: r.composition.files.slice(0, 10),
    cold: r.cold,
    initMs: r.initMs,
    initMinMs: r.initMinMs,
    xBaseline: r.xBaseline,
    importStderr: r.importStderr,
    goals: { size: r.bytes <= GOAL.bytes, init: r.initMs <= GOAL.initMs },
  })),
});

function bundleLabel(bundle: Pick<Bundle, 'name' | 'mode'>): string {
  return `${bundle.name} (aws-sdk ${bundle.mode})`;
}

/** PASS/MISS: a missed goal is a finding to report, not a broken bench. */
function goalVerdict(pass: boolean): string {
  return verdict(pass).replace('FAIL', 'MISS');
}
