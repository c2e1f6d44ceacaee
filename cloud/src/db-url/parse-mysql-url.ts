import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { MysqlConnectionOptions } from '../db/mysql-database.js';
import { DatabaseUrlError } from './database-url-error.js';

export const MYSQL_DEFAULT_PORT = 3306;

const FORM = 'mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl=rds|off|CA_FILE]';
const ENCODING_HINT =
  'characters such as @ : / ? # % in the user name or password must be percent-encoded (e.g. @ as %40)';
/** Aurora endpoints, RDS Proxy endpoints included: their certificates chain to the RDS CA bundle. */
const RDS_HOST = /\.rds\.amazonaws\.com$/i;
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|::1)$/i;

export interface MysqlUrlIo {
  /** Reads the CA certificate file named by `ssl=`; relative to `cwd`. */
  readTextFile: (path: string) => string;
  cwd: string;
}

function decoded(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // Never quote the part: it may be the password.
    throw new DatabaseUrlError(`mysql URL: the ${what} is not valid percent-encoding; ${ENCODING_HINT}`);
  }
}

function tlsFor(host: string, ssl: string | undefined, io: MysqlUrlIo): MysqlConnectionOptions['ssl'] {
  if (ssl === undefined) {
    // A secure default, spelled out: verified TLS where we know the CA, plain only on this machine,
    // and anything else must say what it wants rather than silently talk in the clear.
    if (RDS_HOST.test(host)) return 'rds';
    if (LOOPBACK_HOST.test(host)) return false;
    throw new DatabaseUrlError(
      `mysql URL: say how to secure the connection to ${host}: add ?ssl=rds (Amazon RDS CA), ?ssl=/path/to/ca.pem or ?ssl=off`,
    );
  }
  if (ssl === 'rds') return 'rds';
  if (ssl === 'off') return false;
  if (ssl === '')
    throw new DatabaseUrlError('mysql URL: ssl is empty (expected rds, off or the path of a CA file)');
  const path = isAbsolute(ssl) ? ssl : resolve(io.cwd, ssl);
  let ca: string;
  try {
    ca = io.readTextFile(path);
  } catch (cause) {
    throw new DatabaseUrlError(
      `mysql URL: cannot read the CA certificate file ssl=${ssl}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new DatabaseUrlError(
      `mysql URL: ssl=${ssl} is not a PEM certificate file (no BEGIN CERTIFICATE line)`,
    );
  }
  return { ca };
}

/** `mysql://user:password@host:3306/database?ssl=rds|off|/path/ca.pem` → connection options. */
export function parseMysqlUrl(
  url: string,
  io: MysqlUrlIo = { readTextFile: (path) => readFileSync(path, 'utf8'), cwd: process.cwd() },
): { kind: 'mysql'; options: MysqlConnectionOptions } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // No cause: Node's TypeError carries the whole input, password included.
    throw new DatabaseUrlError(`mysql URL is malformed (expected ${FORM}; ${ENCODING_HINT})`);
  }
  const problems: string[] = [];
  const user = decoded(parsed.username, 'user name');
  const password = decoded(parsed.password, 'password');
  // WHATWG keeps IPv6 brackets in hostname; mysql2 wants the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const database = decoded(parsed.pathname.replace(/^\//, ''), 'database name');
  if (user === '') problems.push('no user name');
  if (host === '') problems.push('no host');
  if (database === '') problems.push('no database name (the path after the host)');
  else if (database.includes('/')) problems.push(`database name "${database}" contains "/"`);
  if (parsed.hash !== '') problems.push(`a #fragment, which is not allowed; ${ENCODING_HINT}`);
  const keys = [...parsed.searchParams.keys()];
  const unknown = [...new Set(keys.filter((key) => key !== 'ssl'))];
  if (unknown.length > 0)
    problems.push(`unknown parameter(s) ${unknown.join(', ')} (only ssl is understood)`);
  if (keys.filter((key) => key === 'ssl').length > 1) problems.push('ssl given more than once');
  if (problems.length > 0)
    throw new DatabaseUrlError(`mysql URL has ${problems.join('; ')} (expected ${FORM})`);

  return {
    kind: 'mysql',
    options: {
      host,
      port: parsed.port === '' ? MYSQL_DEFAULT_PORT : Number(parsed.port),
      database,
      user,
      password,
      ssl: tlsFor(host, parsed.searchParams.get('ssl') ?? undefined, io),
    },
  };
}
