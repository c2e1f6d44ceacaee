// The release tarball's node_modules come from a committed lockfile, and that lockfile is cut
// out of the repository's own package-lock.json: the bundle's runtime dependencies at exactly
// the versions the test suite ran with, never whatever is newest on the day of the build.

export class LockfileError extends Error {
  name = 'LockfileError';
}

const NM = 'node_modules/';

/**
 * Where Node's resolution finds `name` when required from the package at lock path `from`
 * ("" is the project root, "device" a workspace): its own node_modules, then each ancestor's.
 */
function resolveIn(packages, from, name) {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}${NM}${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf(`/${NM}`);
    // "node_modules/a" and "device" both have the project root as their parent.
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

function edgesOf(entry) {
  const required = { ...entry.dependencies };
  const optional = { ...entry.optionalDependencies };
  // npm installs non-optional peers too.
  for (const name of Object.keys(entry.peerDependencies ?? {})) {
    if (!entry.peerDependenciesMeta?.[name]?.optional) required[name] = entry.peerDependencies[name];
  }
  return [
    ...Object.keys(required).map((name) => ({ name, optional: false })),
    ...Object.keys(optional).map((name) => ({ name, optional: true })),
  ];
}

/**
 * Walks the dependency graph from `roots` (names resolved from lock path `from`); returns
 * every reached lock path with whether only optional edges lead to it.
 */
function reach(packages, from, roots) {
  const reached = new Map();
  const visit = (path, optional) => {
    const known = reached.get(path);
    if (known !== undefined && (known === false || optional)) return;
    reached.set(path, optional);
    const entry = packages[path];
    if (entry.link)
      throw new LockfileError(
        `${path} is a workspace link; a runtime dependency must come from the registry`,
      );
    for (const edge of edgesOf(entry)) {
      const target = resolveIn(packages, path, edge.name);
      if (!target) {
        if (edge.optional) continue; // e.g. a platform package npm skipped on this machine
        throw new LockfileError(`${path} needs ${edge.name}, which the lockfile does not contain`);
      }
      visit(target, optional || edge.optional);
    }
  };
  for (const root of roots) {
    const target = resolveIn(packages, from, root.name);
    if (!target) {
      if (root.optional) continue;
      throw new LockfileError(`the lockfile has no ${root.name} (run npm install at the repository root)`);
    }
    visit(target, root.optional);
  }
  return reached;
}

const FLAGS = ['dev', 'optional', 'devOptional', 'peer'];

/**
 * A lockfile for `manifest` (the bundle's package.json) holding only what its dependencies
 * reach in `sourceLock`, resolved from lock path `from` (the workspace that declares them).
 */
export function cutLockfile(sourceLock, manifest, from = '') {
  const packages = sourceLock.packages;
  const roots = [
    ...Object.keys(manifest.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(manifest.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
  ];
  const reached = reach(packages, from, roots);
  const out = {};
  for (const path of [...reached.keys()].sort()) {
    // Hoisted into a workspace's own node_modules in the source tree; the root in the bundle.
    const target = from !== '' && path.startsWith(`${from}/`) ? path.slice(from.length + 1) : path;
    if (out[target]) throw new LockfileError(`${path} and another version both land at ${target}`);
    const entry = { ...packages[path] };
    for (const flag of FLAGS) delete entry[flag];
    if (reached.get(path)) entry.optional = true;
    out[target] = entry;
  }
  const root = {
    name: manifest.name,
    version: manifest.version,
    ...(manifest.dependencies && { dependencies: manifest.dependencies }),
    ...(manifest.optionalDependencies && { optionalDependencies: manifest.optionalDependencies }),
    ...(manifest.engines && { engines: manifest.engines }),
  };
  const sorted = Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((key) => [key, out[key]]),
  );
  return {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': root, ...sorted },
  };
}

/** Every package (name and version) a lockfile installs, for release.json and the tests. */
export function lockedVersions(lock) {
  return Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .map(([path, entry]) => ({
      name: path.slice(path.lastIndexOf(NM) + NM.length),
      path,
      version: entry.version,
    }));
}
