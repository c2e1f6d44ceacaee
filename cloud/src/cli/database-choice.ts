import { existsSync } from 'node:fs';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import { type DatabaseTarget, describeDatabaseTarget } from '../db-url/database-target.js';
import { DatabaseUrlError } from '../db-url/database-url-error.js';
import { openDatabaseTarget } from '../db-url/open-database-from-url.js';
import { parseDatabaseUrl } from '../db-url/parse-database-url.js';
import { CommandFailedError, UsageError } from './cli-errors.js';
import type { CliIo, SecretDatabaseRequest } from './cli-io.js';
import type { DatabaseFlags } from './command-line.js';
import { DATABASE_URL_ENV, DEFAULT_DATABASE_URL } from './usage.js';

/** The database a command will use: a description for stderr (no password) and how to open it. */
export interface DatabaseChoice {
  readonly description: string;
  open(): Promise<CoffeeDatabase>;
}

/**
 * Only commands that may create the schema open a SQLite file that is not there yet: anything
 * else would leave an empty file behind a typo'd path.
 */
export interface ChoiceRules {
  mayCreate: boolean;
}

async function openFromSecretWithAws(request: SecretDatabaseRequest): Promise<CoffeeDatabase> {
  // Loaded only for --db-secret: the AWS SDK is a good part of a second to import.
  const [{ SecretsManagerClient }, { openMysqlDatabaseFromSecret }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../db/secret-credentials.js'),
  ]);
  return openMysqlDatabaseFromSecret({
    secrets: new SecretsManagerClient({}),
    secretId: request.secretId,
    hostOverride: request.hostOverride,
    databaseOverride: request.databaseOverride,
    ssl: 'rds',
  });
}

function urlSource(flags: DatabaseFlags, io: CliIo): { url: string; source: string } {
  if (flags.url !== undefined) return { url: flags.url, source: '--database' };
  const fromEnv = io.env[DATABASE_URL_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { url: fromEnv, source: DATABASE_URL_ENV };
  return { url: DEFAULT_DATABASE_URL, source: 'default' };
}

function existingSqlite(target: DatabaseTarget): void {
  if (target.kind === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) {
    throw new CommandFailedError(
      `no database at ${target.path}: run \`coffee-iot db migrate\` to create it, or give --database`,
    );
  }
}

/** --db-secret, else --database, else $COFFEE_IOT_DATABASE_URL, else the local stack's SQLite file. */
export function chooseDatabase(flags: DatabaseFlags, io: CliIo, rules: ChoiceRules): DatabaseChoice {
  if (flags.secret !== undefined) {
    const request: SecretDatabaseRequest = {
      secretId: flags.secret,
      hostOverride: flags.host,
      databaseOverride: flags.name,
    };
    const via = flags.host === undefined ? '' : ` via ${flags.host}`;
    return {
      description: `mysql from secret ${flags.secret}${via} (TLS: RDS CA)`,
      open: () => (io.openDatabaseFromSecret ?? openFromSecretWithAws)(request),
    };
  }
  const { url, source } = urlSource(flags, io);
  let target: DatabaseTarget;
  try {
    target = parseDatabaseUrl(url, io.cwd === undefined ? {} : { cwd: io.cwd });
  } catch (error) {
    if (error instanceof DatabaseUrlError)
      throw new UsageError(`${source}: ${error.message}`, { cause: error });
    throw error;
  }
  return {
    description: `${describeDatabaseTarget(target)} (${source === 'default' ? 'the default' : `from ${source}`})`,
    open: async () => {
      if (!rules.mayCreate) existingSqlite(target);
      return openDatabaseTarget(target);
    },
  };
}
