import { readFileSync } from 'node:fs';
import type { DatabaseTarget } from './database-target.js';
import { DatabaseUrlError } from './database-url-error.js';
import { parseMysqlUrl } from './parse-mysql-url.js';
import { parseSqliteUrl } from './parse-sqlite-url.js';

export interface ParseDatabaseUrlOptions {
  /** Relative SQLite paths and CA files are taken from here; default the process's working directory. */
  cwd?: string;
  /** Reads a CA certificate file (tests); default fs.readFileSync. */
  readTextFile?: (path: string) => string;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const SQLITE_FILE = /\.(sqlite|db)$/i;

/**
 * A database URL → where it points:
 * - `sqlite:PATH`, `sqlite://PATH`, or a bare path ending .sqlite or .db → `{ kind: 'sqlite', path }`
 * - `mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl=rds|off|CA_FILE]` → `{ kind: 'mysql', options }`
 * Throws DatabaseUrlError naming what is wrong, never quoting the password.
 */
export function parseDatabaseUrl(url: string, options: ParseDatabaseUrlOptions = {}): DatabaseTarget {
  const cwd = options.cwd ?? process.cwd();
  const trimmed = url.trim();
  if (trimmed === '') throw new DatabaseUrlError('database URL is empty');
  const scheme = SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return parseSqliteUrl(trimmed, cwd);
  if (scheme === 'mysql') {
    return parseMysqlUrl(trimmed, {
      cwd,
      readTextFile: options.readTextFile ?? ((path) => readFileSync(path, 'utf8')),
    });
  }
  // A one-letter "scheme" is a Windows drive (C:\data\coffee.sqlite), not a URL.
  if (SQLITE_FILE.test(trimmed) && (scheme === undefined || scheme.length === 1)) {
    return parseSqliteUrl(trimmed, cwd);
  }
  if (scheme !== undefined && scheme.length > 1) {
    throw new DatabaseUrlError(`unsupported database URL scheme "${scheme}:" (expected sqlite: or mysql://)`);
  }
  throw new DatabaseUrlError(
    'not a database URL: expected sqlite:PATH, mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl=…] or a file path ending .sqlite or .db',
  );
}
