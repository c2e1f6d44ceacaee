import type { MysqlConnectionOptions } from '../db/mysql-database.js';

/** Where a database URL points: a SQLite file (absolute path, or ':memory:') or a MySQL server. */
export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'mysql'; readonly options: MysqlConnectionOptions };

/** A one-line description for people, without the password: "sqlite /x/y.sqlite", "mysql coffee@host:3306/db (TLS: RDS CA)". */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `sqlite ${target.path}`;
  const { user, host, port, database, ssl } = target.options;
  const tls = ssl === false ? 'TLS off' : ssl === 'rds' ? 'TLS: RDS CA' : 'TLS: given CA';
  // An IPv6 address needs its brackets back to read as host:port.
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `mysql ${user}@${hostPart}:${port}/${database} (${tls})`;
}
