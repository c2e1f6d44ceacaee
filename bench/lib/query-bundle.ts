import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * bench/lib/run-query.ts bundled into bench/results/ (ignored by git; inside the repository so
 * the packages left external resolve from node_modules): one file, plain node, as the built
 * CLI starts. Native and optional packages stay external, as they are in the CLI's own install.
 */
export async function bundleQueryRunner(): Promise<string> {
  const outfile = join(benchDir, 'results', 'lake-query', 'run-query.mjs');
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(benchDir, 'lib', 'run-query.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    mainFields: ['module', 'main'],
    conditions: ['coffee-iot-source'],
    external: ['@duckdb/*', 'better-sqlite3', 'mysql2', '@aws-sdk/*', '@smithy/*'],
    banner: {
      js: "import { createRequire as __coffeeIotCreateRequire } from 'node:module';\nconst require = __coffeeIotCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}
