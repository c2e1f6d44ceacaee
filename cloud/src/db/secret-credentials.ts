import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CoffeeDatabase } from './coffee-database.js';
import { DatabaseUnavailableError } from './coffee-repository.js';
import { ManagedMysqlPool } from './managed-mysql-pool.js';
import {
  builtPool,
  DEFAULT_IDLE_TIMEOUT_MS,
  type MysqlConnectionOptions,
  mysqlPoolOptions,
  openMysqlDatabaseWithPool,
} from './mysql-database.js';

/** The fields of an RDS database secret (the JSON Secrets Manager's RDS rotation keeps). */
export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
  readonly host: string | null;
  readonly port: number;
  readonly dbname: string | null;
}

const MYSQL_PORT = 3306;

/** The secret is there but is not an RDS database secret; lists every problem, never a value. */
export class DatabaseSecretFormatError extends Error {
  override readonly name = 'DatabaseSecretFormatError';
  constructor(
    readonly secretId: string,
    readonly problems: readonly string[],
  ) {
    super(`secret ${secretId} is not a usable database secret: ${problems.join('; ')}`);
  }
}

export function parseDatabaseSecret(secretId: string, secretString: string | undefined): DatabaseCredentials {
  if (secretString === undefined) throw new DatabaseSecretFormatError(secretId, ['it has no SecretString']);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The parser's message would quote the secret: say only that it is not JSON.
    throw new DatabaseSecretFormatError(secretId, ['SecretString is not JSON']);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DatabaseSecretFormatError(secretId, ['SecretString is not a JSON object']);
  }
  const fields = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const text = (name: string, required: boolean): string | null => {
    const value = fields[name];
    if (typeof value === 'string' && value !== '') return value;
    if (value !== undefined || required) problems.push(`"${name}" must be a non-empty string`);
    return null;
  };
  const username = text('username', true);
  const password = text('password', true);
  const host = text('host', false);
  const dbname = text('dbname', false);
  // RDS writes the port as a number; hand-made secrets often have it as a string.
  const rawPort = fields.port ?? MYSQL_PORT;
  const port = typeof rawPort === 'string' && /^\d+$/.test(rawPort) ? Number(rawPort) : rawPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    problems.push('"port" must be a TCP port number');
  }
  if (problems.length > 0) throw new DatabaseSecretFormatError(secretId, problems);
  return { username: username ?? '', password: password ?? '', host, port: port as number, dbname };
}

/**
 * One database secret, read once per container and cached. `refresh()` reads it again: called
 * when the database refuses the cached password, i.e. after Secrets Manager rotated it.
 */
export class SecretCredentials {
  private cached: Promise<DatabaseCredentials> | undefined;
  private refreshing: Promise<DatabaseCredentials> | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    readonly secretId: string,
  ) {}

  get(): Promise<DatabaseCredentials> {
    this.cached ??= this.fetch();
    return this.cached;
  }

  /**
   * Reads the secret again, unless the cache already moved past `stale` (another pool refreshed
   * it meanwhile); concurrent calls share one read.
   */
  async refresh(stale?: DatabaseCredentials): Promise<DatabaseCredentials> {
    if (stale !== undefined && this.cached !== undefined) {
      const current = await this.cached.catch(() => undefined);
      if (current !== undefined && current !== stale) return current;
    }
    if (this.refreshing === undefined) {
      const fetching = this.fetch();
      this.refreshing = fetching;
      try {
        // Only a successful read replaces the cache: a failed refresh keeps what we had.
        const credentials = await fetching;
        this.cached = fetching;
        return credentials;
      } finally {
        this.refreshing = undefined;
      }
    }
    return this.refreshing;
  }

  // Not async: the promise cached must be the very one whose failure clears the cache.
  private fetch(): Promise<DatabaseCredentials> {
    const fetching = this.secrets.send(new GetSecretValueCommand({ SecretId: this.secretId })).then(
      (answer) => parseDatabaseSecret(this.secretId, answer.SecretString),
      (error: unknown) => {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        // Transient like the database itself (network, throttling): the event is retried.
        throw new DatabaseUnavailableError(`cannot read database secret ${this.secretId}: ${reason}`, {
          cause: error,
        });
      },
    );
    // A failed first read is not cached: the next call asks again.
    fetching.catch(() => {
      if (this.cached === fetching) this.cached = undefined;
    });
    return fetching;
  }
}

// Per container: one SecretCredentials per client and secret, shared by every open.
const bySecretsClient = new WeakMap<SecretsManagerClient, Map<string, SecretCredentials>>();

export function secretCredentials(secrets: SecretsManagerClient, secretId: string): SecretCredentials {
  let bySecret = bySecretsClient.get(secrets);
  if (bySecret === undefined) {
    bySecret = new Map();
    bySecretsClient.set(secrets, bySecret);
  }
  let credentials = bySecret.get(secretId);
  if (credentials === undefined) {
    credentials = new SecretCredentials(secrets, secretId);
    bySecret.set(secretId, credentials);
  }
  return credentials;
}

export interface SecretDatabaseOptions {
  secrets: SecretsManagerClient;
  /** Name or ARN of the RDS secret (JSON: username, password, host, port, dbname). */
  secretId: string;
  /** Connect here instead of the secret's host: the RDS Proxy endpoint. */
  hostOverride?: string;
  /** Use this database instead of the secret's dbname. */
  databaseOverride?: string;
  ssl: MysqlConnectionOptions['ssl'];
  poolSize?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

function connectionOptions(
  secretId: string,
  credentials: DatabaseCredentials,
  options: SecretDatabaseOptions,
): MysqlConnectionOptions {
  const host = options.hostOverride ?? credentials.host;
  const database = options.databaseOverride ?? credentials.dbname;
  const problems: string[] = [];
  if (host === null) problems.push('"host" is missing and no hostOverride was given');
  if (database === null) problems.push('"dbname" is missing and no databaseOverride was given');
  if (problems.length > 0) throw new DatabaseSecretFormatError(secretId, problems);
  return {
    host: host as string,
    port: credentials.port,
    database: database as string,
    user: credentials.username,
    password: credentials.password,
    ssl: options.ssl,
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  };
}

/**
 * Aurora MySQL with credentials from Secrets Manager. The secret is read now (so a missing or
 * malformed secret fails the cold start, not the first photo) and cached per container. When the
 * database refuses a new connection for access denied, the secret is read again, the pool is
 * rebuilt once and the checkout retried; if it is still refused (the rotation has changed the
 * password but not yet published it), the operation fails with DatabaseUnavailableError and the
 * event is retried later.
 */
export async function openMysqlDatabaseFromSecret(options: SecretDatabaseOptions): Promise<CoffeeDatabase> {
  const source = secretCredentials(options.secrets, options.secretId);
  let used = await source.get();
  mysqlPoolOptions(connectionOptions(options.secretId, used, options));
  const pool = new ManagedMysqlPool({
    build: async (afterAccessDenied) => {
      used = afterAccessDenied ? await source.refresh(used) : await source.get();
      return builtPool(connectionOptions(options.secretId, used, options));
    },
    rebuildOnAccessDenied: true,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  });
  return openMysqlDatabaseWithPool(pool);
}
