import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

/** What cloud/scripts/bundle-lambdas.mjs writes to {out}/bundles.json. */
export interface BundleManifest {
  awsSdk: 'bundled' | 'external';
  bundles: {
    name: string;
    entry: string;
    /** Paths relative to the repository root. */
    outfile: string;
    metafile: string;
    bytes: number;
    bundledSdkClients: Record<string, string>;
  }[];
}

/** The part of an esbuild metafile these benches read. */
interface Metafile {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

export interface Contribution {
  name: string;
  bytes: number;
}

export interface BundleComposition {
  /** Bytes in the output per npm package (`cloud/src`, `shared/src` for our own code), largest first. */
  packages: Contribution[];
  /** Bytes in the output per input file, largest first. */
  files: Contribution[];
  /** Packages the bundle imports at run time instead of carrying (Node's built-ins aside). */
  externals: string[];
}

export async function readManifest(outDir: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(join(outDir, 'bundles.json'), 'utf8')) as BundleManifest;
}

/** Which packages and files the bundle's bytes come from, read from its esbuild metafile. */
export async function bundleComposition(metafilePath: string): Promise<BundleComposition> {
  const metafile = JSON.parse(await readFile(metafilePath, 'utf8')) as Metafile;
  const [output] = Object.values(metafile.outputs);
  if (!output) throw new Error(`${metafilePath}: no output in the metafile`);
  const packages = new Map<string, number>();
  const files: Contribution[] = [];
  for (const [path, input] of Object.entries(output.inputs)) {
    files.push({ name: path, bytes: input.bytesInOutput });
    const name = packageOf(path);
    packages.set(name, (packages.get(name) ?? 0) + input.bytesInOutput);
  }
  const externals = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && !isBuiltin(imported.path)) externals.add(packageOf(imported.path));
    }
  }
  const largestFirst = (a: Contribution, b: Contribution) => b.bytes - a.bytes;
  return {
    packages: [...packages].map(([name, bytes]) => ({ name, bytes })).sort(largestFirst),
    files: files.sort(largestFirst),
    externals: [...externals].sort(),
  };
}

const BUILTINS = new Set(builtinModules);

/** A Node built-in (`fs`, `node:fs`, `fs/promises`), or esbuild's own `<runtime>` helpers. */
function isBuiltin(path: string): boolean {
  return (
    path.startsWith('node:') ||
    path === '<runtime>' ||
    BUILTINS.has(path) ||
    BUILTINS.has(path.split('/')[0] ?? '')
  );
}

/** `node_modules/@scope/pkg/…` → `@scope/pkg`; `cloud/src/…` → `cloud/src`; a bare specifier → its package. */
function packageOf(path: string): string {
  const inModules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inModules) return inModules[1] as string;
  if (/^(cloud|shared|device|test)\//.test(path)) return path.split('/').slice(0, 2).join('/');
  if (path.includes(':')) return path.slice(0, path.indexOf(':')); // a plugin's namespace
  return path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : (path.split('/')[0] as string);
}
