import { isAbsolute, resolve } from 'node:path';
import { DatabaseUrlError } from './database-url-error.js';

const MEMORY = ':memory:';

/**
 * `sqlite:PATH`, `sqlite://PATH` (so `sqlite:///abs/file.sqlite` is absolute) or a bare path.
 * Relative paths are taken from `cwd` and returned absolute, so what the CLI reports is what it opens.
 */
export function parseSqliteUrl(url: string, cwd: string): { kind: 'sqlite'; path: string } {
  const path = url.startsWith('sqlite://')
    ? url.slice('sqlite://'.length)
    : url.startsWith('sqlite:')
      ? url.slice('sqlite:'.length)
      : url;
  if (path.trim() === '') {
    throw new DatabaseUrlError(
      'sqlite URL has no file path (expected sqlite:PATH, e.g. sqlite:.local/coffee-iot.sqlite)',
    );
  }
  if (path === MEMORY) return { kind: 'sqlite', path };
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
}
