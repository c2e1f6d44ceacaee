import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { cacheControlFor, contentTypeFor } from './content-types.js';
import { methodNotAllowed, notFound } from './http-errors.js';
import { decodePathPart } from './request-path.js';

export interface StaticRoot {
  /** Path prefix the files are served under, e.g. `/` or `/js/`. */
  urlPrefix: string;
  /** Directory the files are read from. */
  directory: string;
}

interface ResolvedRoot {
  /** Without the trailing slash, except for the root prefix `/` itself. */
  prefix: string;
  directory: string;
}

const STATIC_METHODS = ['GET', 'HEAD'] as const;
/** Errors that mean "there is no such file here", as opposed to a broken disk or permissions. */
const MISSING_FILE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG']);

export class InvalidStaticRootsError extends Error {
  override readonly name = 'InvalidStaticRootsError';
}

/**
 * Serves files from a few directories, each under its URL prefix. The longest matching prefix
 * owns a path, and a file missing there is a 404 (no falling through to another root), so what
 * a URL means never depends on which files happen to exist.
 */
export class StaticFiles {
  private readonly roots: ResolvedRoot[];

  constructor(roots: readonly StaticRoot[]) {
    this.roots = resolveRoots(roots);
  }

  /** Serves the file, or returns false when no root owns `path` so the caller can 404. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const root = this.roots.find((candidate) => owns(candidate.prefix, path));
    if (!root) return false;
    if (!STATIC_METHODS.includes(req.method as (typeof STATIC_METHODS)[number])) {
      throw methodNotAllowed(req.method, STATIC_METHODS);
    }
    const filePath = resolveInside(root, path);
    const body = await readFile(filePath).catch((error: NodeJS.ErrnoException) => {
      if (error.code && MISSING_FILE_CODES.has(error.code)) throw notFound(`no file at ${path}`);
      throw error;
    });
    res.writeHead(200, {
      'Content-Type': contentTypeFor(filePath),
      'Content-Length': body.byteLength,
      'Cache-Control': cacheControlFor(filePath),
    });
    // Node drops the body of a HEAD response itself and keeps the headers.
    res.end(body);
    return true;
  }
}

function resolveRoots(roots: readonly StaticRoot[]): ResolvedRoot[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const resolved = roots.map((root, index) => {
    if (!root.urlPrefix.startsWith('/')) {
      problems.push(`staticRoots[${index}].urlPrefix must start with "/", got "${root.urlPrefix}"`);
    }
    const prefix = root.urlPrefix.length > 1 ? root.urlPrefix.replace(/\/+$/, '') : root.urlPrefix;
    if (seen.has(prefix)) problems.push(`staticRoots[${index}].urlPrefix "${root.urlPrefix}" is a duplicate`);
    seen.add(prefix);
    if (root.directory.length === 0) problems.push(`staticRoots[${index}].directory must not be empty`);
    return { prefix, directory: resolve(root.directory) };
  });
  if (problems.length > 0) throw new InvalidStaticRootsError(`invalid static roots: ${problems.join('; ')}`);
  return resolved.sort((a, b) => b.prefix.length - a.prefix.length);
}

function owns(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The file a path names, refusing anything that would leave the root. Decoding comes first so
 * `%2e%2e%2f` is judged as the `../` it is, and the check is made on the resolved path so every
 * spelling of a traversal is caught the same way. Refusals are plain 404s: a prober learns
 * nothing about what exists outside.
 */
function resolveInside(root: ResolvedRoot, path: string): string {
  const rest = decodePathPart(path.slice(root.prefix === '/' ? 1 : root.prefix.length + 1), 'path');
  if (rest.includes('\0')) throw notFound(`no file at ${path}`);
  const wanted = rest === '' || rest.endsWith('/') ? `${rest}index.html` : rest;
  const filePath = resolve(root.directory, wanted);
  const fromRoot = relative(root.directory, filePath);
  if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)) {
    throw notFound(`no file at ${path}`);
  }
  return filePath;
}
